// The small part of dcmjs (which ships no types) that this package uses. Values stay `unknown`:
// callers parse them.
declare module 'dcmjs' {
  interface DicomElement {
    vr?: string;
    Value?: unknown;
  }

  interface DicomDict {
    meta: Record<string, DicomElement | undefined>;
    dict: Record<string, DicomElement | undefined>;
  }

  interface ReadFileOptions {
    ignoreErrors?: boolean;
    /** Tag as 8 upper-case hex digits; reading stops there. */
    untilTag?: string | null;
    includeUntilTagValue?: boolean;
    noCopy?: boolean;
  }

  const dcmjs: {
    data: {
      DicomMessage: {
        readFile(buffer: ArrayBuffer, options?: ReadFileOptions): DicomDict;
      };
    };
  };
  export default dcmjs;
}
