const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Whether `name` is a DNS-1123 label (lower case letters, digits and -) of at most `maxLength` characters. */
export function isDnsLabel(name: string, maxLength = Number.POSITIVE_INFINITY): boolean {
  return DNS_LABEL.test(name) && name.length <= maxLength;
}
