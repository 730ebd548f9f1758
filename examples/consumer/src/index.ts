// An example consumer of an edgelog subscription: edgelog calls `deliver` with a batch of one partition's records,
// in offset order, and reads the answer to know which records are done. This one logs each record and acknowledges
// them all. In your own Worker, import from "edgelog/client"; the example imports the source so `npm start` needs
// no build.
import { WorkerEntrypoint } from "cloudflare:workers";
import { deliveryBatch } from "../../../src/client/delivery";
import type { DeliveryBatch, DeliveryResponse } from "../../../src/subscription-protocol";

export class Consumer extends WorkerEntrypoint {
  async deliver(input: DeliveryBatch): Promise<DeliveryResponse> {
    const batch = deliveryBatch(input);
    for (const record of batch.records) {
      console.log(`${batch.subscription}: ${batch.topic}/${batch.partition}@${record.offset} key=${record.key ?? "(none)"} value=${record.value ?? "(tombstone)"} (attempt ${batch.attempt})`);
    }
    return batch.ackAll();
  }
}

// A Worker needs a default export to be deployed or run on its own; edgelog uses only the Consumer entrypoint.
export default {
  fetch(): Response {
    return new Response("edgelog's example consumer: edgelog delivers to its Consumer entrypoint (see docs/subscriptions.md)\n");
  },
};
