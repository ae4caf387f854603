import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { patchJpegCodec } from './src/imaging/jpeg-12bit.ts';

/**
 * Cornerstone's JPEG codec decodes 12-bit JPEG Extended with an 8-bit level shift and IDCT;
 * jpeg-12bit.ts says how and patches it here, in the main bundle and the decode workers, failing
 * the build if the codec no longer has the code it patches.
 */
function jpeg12BitPatch(): Plugin {
  const idctModule = fileURLToPath(new URL('./src/imaging/jpeg-12bit.ts', import.meta.url));
  return {
    name: 'reading-station-jpeg-12bit',
    transform(code, id) {
      return /[\\/]@cornerstonejs[\\/]dicom-image-loader[\\/]dist[\\/]esm[\\/]codecs[\\/]jpeg\.js$/.test(id.split('?')[0] ?? '') ? patchJpegCodec(code, idctModule) : null;
    },
  };
}

// docs/facts.md, Vite worker settings (Cornerstone3D 5.14 under Vite 8): ES-module workers; the dicom-image-loader must not be
// pre-bundled by the dev server (its worker and WASM glue are resolved relative to its own files)
// while the codec glue modules must be, or decoding hangs.
export default defineConfig({
  // Relative asset URLs: the same build loads from nginx at / and from the desktop app's scheme.
  base: './',
  plugins: [react(), jpeg12BitPatch()],
  worker: { format: 'es', plugins: () => [jpeg12BitPatch()] },
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
