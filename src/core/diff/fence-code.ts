/** `text` in a Markdown code block whose fence is longer than any run of backticks in the text, so the text cannot close it. */
export function fenceCode(lang: string, text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text}\n${fence}`;
}
