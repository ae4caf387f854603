import { execFile } from 'node:child_process';
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { connectionBudget, type ConnectionBudget } from './connection-budget.ts';
import { StackError } from './errors.ts';
import type { StackLayout } from './layout.ts';
import { startDetached, waitUntilReady, type StartedProcess } from './processes.ts';

const execFileAsync = promisify(execFile);

/** HTJ2K frames are served correctly from Orthanc 1.13 + DICOMweb 1.24 on (docs/facts.md, Orthanc). */
export const MIN_ORTHANC_VERSION = [1, 13, 0] as const;

/**
 * Orthanc from the throw-away Debian testing root, run with that root's own dynamic loader and
 * libraries: no chroot, so no root privileges at run time and the stack's files stay in the
 * stack's directory.
 */
export interface OrthancInstallation {
  root: string;
  loader: string;
  binary: string;
  libraryPath: string;
  plugins: string[];
  env: NodeJS.ProcessEnv;
}

export function locateOrthanc(root: string): OrthancInstallation {
  const binary = path.join(root, 'usr/sbin/Orthanc');
  const loader = path.join(root, 'lib64/ld-linux-x86-64.so.2');
  const pluginDir = path.join(root, 'usr/share/orthanc/plugins');
  const dicomWeb = path.join(pluginDir, 'libOrthancDicomWeb.so');
  if (!existsSync(binary) || !existsSync(loader)) {
    throw new StackError(
      `Orthanc was not found in ${root}; run \`npm run setup\` to build the Orthanc root (or set READING_STATION_ORTHANC_ROOT to one)`,
    );
  }
  if (!existsSync(dicomWeb)) {
    throw new StackError(`the DICOMweb plugin is missing from ${pluginDir}; rebuild the Orthanc root with \`npm run setup\``);
  }
  const gdcm = path.join(pluginDir, 'libOrthancGdcm.so');
  const libraryPath = ['usr/lib/x86_64-linux-gnu', 'lib/x86_64-linux-gnu', 'usr/lib']
    .map((dir) => path.join(root, dir))
    .join(':');
  return {
    root,
    loader,
    binary,
    libraryPath,
    plugins: [dicomWeb, ...(existsSync(gdcm) ? [gdcm] : [])],
    env: {
      PATH: '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      LOCPATH: path.join(root, 'usr/lib/locale'),
      DCMDICTPATH: path.join(root, 'usr/share/dcmtk/dicom.dic'),
    },
  };
}

function orthancArgs(installation: OrthancInstallation, args: readonly string[]): string[] {
  return ['--library-path', installation.libraryPath, installation.binary, ...args];
}

export function parseOrthancVersion(output: string): [number, number, number] | undefined {
  const match = /Orthanc\s+(?:version\s+)?(\d+)\.(\d+)\.(\d+)/.exec(output);
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

export function isSupportedOrthancVersion(version: readonly [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) {
    const have = version[i] as number;
    const need = MIN_ORTHANC_VERSION[i] as number;
    if (have !== need) return have > need;
  }
  return true;
}

export async function checkOrthancVersion(installation: OrthancInstallation): Promise<string> {
  let output: string;
  try {
    const result = await execFileAsync(installation.loader, orthancArgs(installation, ['--version']), {
      env: installation.env,
      timeout: 15_000,
    });
    output = result.stdout + result.stderr;
  } catch (error) {
    throw new StackError(`Orthanc in ${installation.root} does not run (${(error as Error).message.split('\n')[0]}); rebuild it with \`npm run setup\``);
  }
  const version = parseOrthancVersion(output);
  if (!version) throw new StackError(`cannot tell Orthanc's version from \`Orthanc --version\`: ${output.slice(0, 200)}`);
  const text = version.join('.');
  if (!isSupportedOrthancVersion(version)) {
    throw new StackError(
      `Orthanc ${text} is too old: HTJ2K frames need Orthanc >= ${MIN_ORTHANC_VERSION.join('.')} with DICOMweb >= 1.24; rebuild the Orthanc root with \`npm run setup\``,
    );
  }
  return text;
}

export interface OrthancCredentials {
  username: string;
  password: string;
}

// ── Orthanc's DICOM server ─────────────────────────────────────────────────────────────────────
// Kept apart from the HTTP settings below. Orthanc 1.13 has no option to bind its DICOM port to an
// address (no DicomListenAddress; HttpBindAddresses, since 1.12.10, is HTTP only): it listens on
// every interface, as modalities on the hospital network need.
// What keeps strangers out is the association check: with every DicomAlwaysAllow* false, Orthanc
// refuses at association any caller that is not a configured modality, and with
// DicomCheckModalityHost a modality must also call from its configured IP address.

export interface DicomModality {
  /** The modality's calling AE title. */
  aet: string;
  /** The IP address it calls from (Orthanc compares addresses, not host names). */
  host: string;
}

export interface DicomServerSettings {
  port: number;
  /** Orthanc's own (called) AE title; associations calling another title are refused. */
  aet: string;
  modalities: readonly DicomModality[];
  /** Seconds without a new instance before a study is stable (its StableStudy change). */
  stableAgeSeconds: number;
}

/** Orthanc's DICOM-server keys: C-ECHO and C-STORE from the listed modalities only, no query/retrieve. */
export function dicomServerConfiguration(settings: DicomServerSettings) {
  const modalities: Record<string, object> = {};
  settings.modalities.forEach((modality, index) => {
    modalities[`modality-${index + 1}`] = {
      AET: modality.aet,
      Host: modality.host,
      // Orthanc never sends to modalities; a port is still required by the format.
      Port: 104,
      AllowEcho: true,
      AllowStore: true,
      AllowFind: false,
      AllowFindWorklist: false,
      AllowGet: false,
      AllowMove: false,
      AllowStorageCommitment: false,
    };
  });
  return {
    DicomServerEnabled: true,
    DicomPort: settings.port,
    DicomAet: settings.aet,
    DicomCheckCalledAet: true,
    DicomCheckModalityHost: true,
    DicomAlwaysAllowEcho: false,
    DicomAlwaysAllowStore: false,
    DicomAlwaysAllowFind: false,
    DicomAlwaysAllowFindWorklist: false,
    DicomAlwaysAllowGet: false,
    DicomAlwaysAllowMove: false,
    DicomModalitiesInDatabase: false,
    DicomModalities: modalities,
    StableAge: settings.stableAgeSeconds,
  };
}

/**
 * Locked down as docs/facts.md lists (Orthanc lock-down): loopback only, HTTP auth with credentials only nginx holds, no
 * explorer, no WebDAV, no Lua, no WADO-URI (it ignores the study), no error details; the DICOM port
 * accepts only configured modalities (dicomServerConfiguration) and is off without `dicom`.
 */
export function orthancConfiguration(options: {
  layout: StackLayout;
  installation: OrthancInstallation;
  port: number;
  credentials: OrthancCredentials;
  dicom?: DicomServerSettings;
  /** HTTP threads; derived from this machine's cores when left out. */
  budget?: ConnectionBudget;
}) {
  return {
    Name: 'ReadingStation',
    StorageDirectory: options.layout.orthanc.storage,
    IndexDirectory: options.layout.orthanc.storage,
    HttpPort: options.port,
    HttpServerEnabled: true,
    // Listening on loopback only: nothing but nginx and the gate on this host can connect at all.
    // RemoteAccessAllowed: false stays as the second line (it refuses non-loopback clients).
    HttpBindAddresses: ['127.0.0.1'],
    RemoteAccessAllowed: false,
    AuthenticationEnabled: true,
    RegisteredUsers: { [options.credentials.username]: options.credentials.password },
    ...(options.dicom === undefined ? { DicomServerEnabled: false } : dicomServerConfiguration(options.dicom)),
    OrthancExplorerEnabled: false,
    WebDavEnabled: false,
    HttpDescribeErrors: false,
    ExecuteLuaEnabled: false,
    RestApiWriteToFileSystemEnabled: false,
    HttpsVerifyPeers: true,
    Locale: 'C.UTF-8',
    StorageCompression: false,
    OverwriteInstances: false,
    // One request per connection: CivetWeb gives an open connection a thread until it closes, so
    // idle or pooled keep-alive connections would hold threads that waiting requests need
    // (docs/connections.md). Threads from the connection budget.
    KeepAlive: false,
    HttpThreadsCount: (options.budget ?? connectionBudget({ connections: {} })).orthancHttpThreads,
    Plugins: options.installation.plugins,
    DicomWeb: {
      Enable: true,
      Root: '/dicom-web/',
      // Retrieve URLs in metadata point at the gate's public path, not at Orthanc.
      PublicRoot: '/api/ris/dicom-web/',
      EnableWado: false,
      Ssl: false,
      StudiesMetadata: 'Full',
      SeriesMetadata: 'Full',
    },
  };
}

export function writeOrthancConfiguration(layout: StackLayout, configuration: object): void {
  mkdirSync(layout.orthanc.storage, { recursive: true });
  writeFileSync(layout.orthanc.configFile, JSON.stringify(configuration, null, 2), { mode: 0o600 });
}

export function basicAuth(credentials: OrthancCredentials): string {
  return Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
}

export async function startOrthanc(options: {
  layout: StackLayout;
  installation: OrthancInstallation;
  port: number;
  credentials: OrthancCredentials;
}): Promise<StartedProcess> {
  const { layout, installation } = options;
  const started = startDetached(installation.loader, orthancArgs(installation, [layout.orthanc.configFile]), {
    cwd: layout.orthanc.dir,
    env: installation.env,
    log: layout.orthanc.log,
    marker: layout.orthanc.configFile,
  });
  const url = `http://127.0.0.1:${options.port}/system`;
  const authorization = `Basic ${basicAuth(options.credentials)}`;
  await waitUntilReady(
    'Orthanc',
    started,
    async () => {
      const response = await fetch(url, { headers: { authorization }, signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      return response.ok;
    },
    60_000,
  );
  return started;
}
