/** ImageValidatingPolicies for the webhook tests. */

/**
 * Denies Pods (CREATE) whose images matching `glob` carry no signature by the key `pem`
 * (attestor `ci`); `failurePolicy` decides what a registry that cannot be read does.
 */
export function signedImagesPolicy(name: string, glob: string, pem: string, failurePolicy: 'Fail' | 'Ignore' = 'Fail'): string {
  return `apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata:
  name: ${name}
spec:
  validationActions: [Deny]
  failurePolicy: ${failurePolicy}
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [pods]
  matchImageReferences:
  - glob: "${glob}"
  attestors:
  - name: ci
    cosign:
      # Signed offline by palisade sign: no transparency-log entry to require.
      ctlog:
        insecureIgnoreTlog: true
      key:
        data: |
${pem
  .trim()
  .split('\n')
  .map((l) => `          ${l}`)
  .join('\n')}
  validations:
  - expression: "images.containers.all(i, verifyImageSignatures(i, [attestors.ci]) > 0)"
    message: images must be signed by CI
`;
}
