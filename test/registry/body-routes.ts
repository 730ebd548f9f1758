// The registry routes that read a body, as REGISTRY_ROUTES writes them: clients.node.test.ts cuts each short (Node's
// type-check cannot import the Worker's route table), and docs.test.ts checks this list is the table's.
export const REGISTRY_BODY_ROUTES: readonly { method: "POST" | "PUT"; path: string }[] = [
  { method: "POST", path: "/subjects/:subject/versions" },
  { method: "POST", path: "/subjects/:subject" },
  { method: "PUT", path: "/config" },
  { method: "PUT", path: "/config/:subject" },
  { method: "POST", path: "/compatibility/subjects/:subject/versions/:version" },
];
