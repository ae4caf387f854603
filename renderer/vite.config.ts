import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// docs/facts.md, Vite worker settings (Cornerstone3D 5.14 under Vite 8): ES-module workers; the dicom-image-loader must not be
// pre-bundled by the dev server (its worker and WASM glue are resolved relative to its own files)
// while the codec glue modules must be, or decoding hangs.
export default defineConfig({
  // Relative asset URLs: the same build loads from nginx at / and from the desktop app's scheme.
  base: './',
  plugins: [react()],
  worker: { format: 'es' },
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
