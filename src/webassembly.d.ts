/**
 * The part of the WebAssembly JavaScript API that Palisade uses. Node has it, but @types/node does
 * not declare it (TypeScript's declarations live in lib.dom, which a Node program must not load).
 */
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  class Global {
    value: number;
  }
}
