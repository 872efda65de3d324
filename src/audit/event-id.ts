import { decodeTime, monotonicFactory } from "ulid";

/**
 * Mints event ids: ULIDs, increasing within the process and never below a floor raised to just after ids already
 * stored, so ids keep sorting after every stored event even when the host clock stepped back across a restart
 * (spool replay relies on that order).
 */
export class AuditIdSource {
  readonly #next = monotonicFactory();
  #floorMs = 0;

  /** Makes every later id sort after these ids. */
  raiseFloor(ids: readonly (string | undefined)[]): void {
    for (const id of ids) {
      if (id) this.#floorMs = Math.max(this.#floorMs, decodeTime(id) + 1);
    }
  }

  /** A new id for an event recorded at `nowMs`. */
  next(nowMs: number): string {
    return this.#next(Math.max(nowMs, this.#floorMs));
  }
}
