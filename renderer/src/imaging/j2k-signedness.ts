/**
 * JPEG 2000 frames whose codestream says unsigned while the header says signed
 * (PixelRepresentation 1), as pydicom's J2K_pixelrep_mismatch.dcm (13 bits stored): DICOM's header
 * decides, as pydicom reads it. Cornerstone's decoder (dicom-image-loader 5,
 * `shared/decoders/decodeJPEG2000.js`) types the samples by the codestream alone, as unsigned
 * 16-bit, and the sign extension to BitsStored it applies afterwards is written back into that
 * unsigned array, so -2000 came out as 6192. Patched (by the renderer's Vite build, as
 * jpeg-12bit.ts is) to type them as signed whenever the header says signed, as the loader already
 * does for JPEG-LS and JPEG XL; the build fails if the decoder no longer has the code it patches.
 */
const PIXEL_DATA_CALL = 'const pixelData = getPixelData(frameInfo, decodedBufferInWASM);';

export function patchJpeg2000Signedness(source: string): string {
  if (source.split(PIXEL_DATA_CALL).length !== 2) {
    throw new Error(`Cornerstone's JPEG 2000 decoder changed: "${PIXEL_DATA_CALL}" is not there once; check the patch (j2k-signedness.ts)`);
  }
  return source.replace(PIXEL_DATA_CALL, 'const pixelData = getPixelData(frameInfo, decodedBufferInWASM, imageInfo.pixelRepresentation === 1 || undefined);');
}
