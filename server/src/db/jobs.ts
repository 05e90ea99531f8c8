// STUB — to be replaced by the encoding work.
import type { Db } from './database.ts';

export class JobsRepo {
  constructor(readonly db: Db) {}
}
