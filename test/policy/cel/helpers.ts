/** Pieces of the ImageValidatingPolicy test documents. */

/** `spec.validationActions` (Deny) and `spec.matchConstraints` for Pod `operations`, at two spaces of indentation. */
export function podMatch(operations = 'CREATE'): string {
  return `  validationActions: [Deny]
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [${operations}]
      resources: [pods]`;
}

/** `spec.matchConstraints` (and Deny) for Pod CREATE, at two spaces of indentation. */
export const POD_CREATE = podMatch();

/** `text` (a PEM block) with every line indented by `spaces`, for a YAML block scalar. */
export function indent(text: string, spaces: number): string {
  return text
    .trim()
    .split('\n')
    .map((l) => `${' '.repeat(spaces)}${l}`)
    .join('\n');
}

/**
 * `spec.attestors` with one cosign key attestor `ci` holding `pem`; signed offline by Palisade,
 * so no transparency-log entry is required.
 */
export function keyAttestor(pem: string): string {
  return `  attestors:
  - name: ci
    cosign:
      ctlog:
        insecureIgnoreTlog: true
      key:
        data: |
${indent(pem, 10)}`;
}

/** `spec.validations`: every container image carries a signature by attestor `ci`. */
export const SIGNED_BY_CI = `  validations:
  - expression: "images.containers.all(i, verifyImageSignatures(i, [attestors.ci]) > 0)"
    message: images must be signed by CI`;

/** An ImageValidatingPolicy on Pod CREATE: `spec` lines between the match constraints and `matchImageReferences`, then `rest` after the glob. */
export function imagePolicy(name: string, glob: string, rest: string, spec = ''): string {
  return `apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata:
  name: ${name}
spec:
${POD_CREATE}
${spec}  matchImageReferences:
  - glob: "${glob}"
${rest}
`;
}
