/** The ways a key could leak into text: hex (either case), base64, and its raw bytes as latin1. */
export function keyForms(hex: string): string[] {
  const bytes = Buffer.from(hex, 'hex');
  const forms = [hex.toLowerCase(), hex.toUpperCase(), bytes.toString('base64'), bytes.toString('latin1')];
  // Colon- or space-separated hex dumps.
  forms.push(hex.match(/../g)!.join(':'), hex.match(/../g)!.join(' '));
  return forms;
}
