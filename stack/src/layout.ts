import path from 'node:path';

/** Where each part of a stack keeps its files under the state directory. */
export function stackLayout(stateDir: string) {
  const logs = path.join(stateDir, 'logs');
  return {
    stateDir,
    stackFile: path.join(stateDir, 'stack.json'),
    demoUsersFile: path.join(stateDir, 'demo-users.json'),
    lockFile: path.join(stateDir, 'stack.lock'),
    logs,
    orthanc: {
      dir: path.join(stateDir, 'orthanc'),
      configFile: path.join(stateDir, 'orthanc', 'orthanc.json'),
      storage: path.join(stateDir, 'orthanc', 'storage'),
      log: path.join(logs, 'orthanc.log'),
    },
    nginx: {
      dir: path.join(stateDir, 'nginx'),
      configFile: path.join(stateDir, 'nginx', 'nginx.conf'),
      tmp: path.join(stateDir, 'nginx', 'tmp'),
      /** nginx's DICOMweb cache (proxy_cache_path), bounded by dicomwebCache.maxSize. */
      cache: path.join(stateDir, 'nginx', 'cache'),
      log: path.join(logs, 'nginx.log'),
      errorLog: path.join(logs, 'nginx-error.log'),
      accessLog: path.join(logs, 'nginx-access.log'),
    },
    gate: {
      dir: path.join(stateDir, 'proxy-server'),
      configFile: path.join(stateDir, 'proxy-server', 'config.json'),
      database: path.join(stateDir, 'proxy-server', 'reading-station.sqlite'),
      log: path.join(logs, 'proxy-server.log'),
      /** The gate's operations listener (metrics), proxied by nginx's operations server. */
      opsSocket: path.join(stateDir, 'proxy-server', 'ops.sock'),
      /** The secret nginx sends the gate with every request (X-Reading-Station-Proxy), mode 600. */
      proxySecretFile: path.join(stateDir, 'proxy-server', 'proxy-secret'),
    },
  };
}

export type StackLayout = ReturnType<typeof stackLayout>;
