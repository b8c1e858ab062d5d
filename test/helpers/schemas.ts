/** Official JSON schemas (test/fixtures/schemas) compiled once with ajv, for output format tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormatsModule from 'ajv-formats';
import { repoRoot } from './corpus.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const schemaDir = join(repoRoot, 'test', 'fixtures', 'schemas');
const load = (file: string) => JSON.parse(readFileSync(join(schemaDir, file), 'utf8')) as Record<string, unknown>;

let cyclonedx: ValidateFunction | undefined;
let spdx: ValidateFunction | undefined;

export function cycloneDxValidator(): ValidateFunction {
  if (!cyclonedx) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    // IRIs are URIs with Unicode allowed; ajv-formats has no checker for them, so accept any string.
    ajv.addFormat('iri-reference', true);
    ajv.addFormat('idn-email', true);
    // bom-1.6 refers to its companions by their file names relative to its $id.
    ajv.addSchema(load('spdx.schema.json'), 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json');
    ajv.addSchema(load('jsf-0.82.schema.json'), 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json');
    ajv.addSchema(load('cryptography-defs.schema.json'), 'http://cyclonedx.org/schema/cryptography-defs.SNAPSHOT.schema.json');
    cyclonedx = ajv.compile(load('bom-1.6.schema.json'));
  }
  return cyclonedx;
}

export function spdxValidator(): ValidateFunction {
  if (!spdx) {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    addFormats(ajv as unknown as Ajv);
    spdx = ajv.compile(load('spdx-2.3.schema.json'));
  }
  return spdx;
}

let sarif: ValidateFunction | undefined;

/** SARIF 2.1.0 is a draft-04 schema: compiled as draft-07 (same keywords here) without its legacy `id`. */
export function sarifValidator(): ValidateFunction {
  if (!sarif) {
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    addFormats(ajv);
    ajv.removeKeyword('id');
    sarif = ajv.compile(load('sarif-2.1.0.schema.json'));
  }
  return sarif;
}
