/** Whether `record` has no enumerable key (undefined has none); it stops at the first key rather than listing them all. */
export function isEmptyRecord(record: object | undefined): boolean {
  for (const _ in record) return false;
  return true;
}
