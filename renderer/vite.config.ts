import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { patchJpeg2000Signedness } from './src/imaging/j2k-signedness.ts';
import { patchJpegBaselineColour } from './src/imaging/jpeg-colour.ts';
import { patchJpegCodec } from './src/imaging/jpeg-12bit.ts';
import { patchVoiLutFunction } from './src/imaging/voi-lut-function.ts';

/**
 * Cornerstone's image loader patched as the build bundles it, in the main bundle and the decode
 * workers alike: the JPEG codec's 12-bit JPEG Extended (jpeg-12bit.ts), the JPEG 2000 decoder's
 * signedness (j2k-signedness.ts), the image's VOI LUT Function (voi-lut-function.ts) and the colour
 * space colour JPEG Baseline is decoded in (jpeg-colour.ts). Each patch
 * fails the build if the loader no longer has the code it patches (an upgrade).
 */
function decoderPatches(): Plugin {
  const idctModule = fileURLToPath(new URL('./src/imaging/jpeg-12bit.ts', import.meta.url));
  const jpegColourModule = fileURLToPath(new URL('./src/imaging/jpeg-colour.ts', import.meta.url));
  const loader = /[\\/]@cornerstonejs[\\/]dicom-image-loader[\\/]dist[\\/]esm[\\/]/;
  return {
    name: 'reading-station-decoder-patches',
    transform(code, id) {
      const file = id.split('?')[0] ?? '';
      if (!loader.test(file)) return null;
      if (/[\\/]codecs[\\/]jpeg\.js$/.test(file)) return patchJpegCodec(code, idctModule);
      if (/[\\/]shared[\\/]decoders[\\/]decodeJPEG2000\.js$/.test(file)) return patchJpeg2000Signedness(code);
      if (/[\\/]imageLoader[\\/]createImage\.js$/.test(file)) return patchVoiLutFunction(code);
      if (/[\\/]imageLoader[\\/]decodeImageFrame\.js$/.test(file)) return patchJpegBaselineColour(code, jpegColourModule);
      return null;
    },
  };
}

export default defineConfig({
  // Relative asset URLs: the same build loads from nginx at / and from the desktop app's scheme.
  base: './',
  plugins: [react(), decoderPatches()],
  worker: { format: 'es', plugins: () => [decoderPatches()] },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    // Cornerstone and vtk.js make one large chunk by nature; splitting it gains nothing here.
    chunkSizeWarningLimit: 6000,
  },
  // `npm run dev -w renderer`: the API of a running stack behind the dev server's own origin, so
  // the refresh cookie (Path=/api/auth) and same-origin requests work as under nginx.
  server: {
    proxy: { '/api': { target: process.env.RS_DEV_API ?? 'http://127.0.0.1:8080', changeOrigin: false } },
  },
  optimizeDeps: {
    exclude: ['@cornerstonejs/dicom-image-loader'],
    include: [
      'dicom-parser',
      '@cornerstonejs/codec-openjph/wasmjs',
      '@cornerstonejs/codec-charls/decodewasmjs',
      '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs',
      '@cornerstonejs/codec-openjpeg/decodewasmjs',
      '@cornerstonejs/codec-libjxl/decodewasmjs',
    ],
  },
});
