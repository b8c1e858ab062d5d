/** Pieces of the ImageValidatingPolicy test documents. */

/** `spec.matchConstraints` (and Deny) for Pod CREATE, at two spaces of indentation. */
export const POD_CREATE = `  validationActions: [Deny]
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [pods]`;

/** `text` (a PEM block) with every line indented by `spaces`, for a YAML block scalar. */
export function indent(text: string, spaces: number): string {
  return text
    .trim()
    .split('\n')
    .map((l) => `${' '.repeat(spaces)}${l}`)
    .join('\n');
}
