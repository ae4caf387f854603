/**
 * A job the gate repeats in the background (the registry sync, the study revisions' watch, the
 * audit forwarder): each round says how long to wait before the next. stop() wakes a waiting loop
 * and resolves once the round in flight has finished, so a job never runs on a closed database.
 */
export class BackgroundLoop {
  readonly #round: () => Promise<number>;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  /** `round` must not throw: it handles its own failures and returns the pause in ms. */
  constructor(round: () => Promise<number>) {
    this.#round = round;
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const pause = await this.#round();
      if (pause > 0 && this.#running) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          this.#timer = setTimeout(resolve, pause);
        });
      }
    }
  }
}
