import type { StackConfig } from './config.ts';
import type { StackLayout } from './layout.ts';
import type { Report } from './stack.ts';

export async function seedDemo(_options: {
  config: StackConfig;
  layout: StackLayout;
  orthanc: { baseUrl: string; username: string; password: string };
  report: Report;
}): Promise<void> {
  // Filled in with the demo generator and the registry importer.
}
