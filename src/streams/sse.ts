// Server-sent event framing for DS live reads (P§5.8). A data event carries one read's payload, one `data:` line per
// payload line (split on CRLF, CR and LF, so a payload cannot inject events), with no space after the colon (the
// suite's regexes want none); each is followed at once by its control event (JSON: next offset, cursor, upToDate,
// streamClosed). Binary streams send base64. A leaf.

export interface ControlEvent {
  streamNextOffset: string;
  streamCursor?: string;
  upToDate?: true;
  streamClosed?: true;
}

export function dataEvent(payload: string): string {
  return `event: data\n${payload.split(/\r\n|\r|\n/).map((line) => `data:${line}\n`).join("")}\n`;
}

export function controlEvent(control: ControlEvent): string {
  return `event: control\ndata:${JSON.stringify(control)}\n\n`;
}

export function base64Of(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
