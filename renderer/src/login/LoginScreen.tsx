import { useEffect, useState, type FormEvent } from 'react';
import { SESSION_END_MESSAGES } from '@reading-station/contract';
import type { ReadingStationBridge, ServerSettings, SessionEndReason } from '../bridge/bridge-contract.ts';

export function LoginScreen({ bridge, endReason }: { bridge: ReadingStationBridge; endReason: SessionEndReason | null }) {
  const [settings, setSettings] = useState<ServerSettings | null>(null);
  const [serverUrl, setServerUrl] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void bridge.getServerSettings().then((s) => {
      setSettings(s);
      setServerUrl(s.serverUrl);
    });
  }, [bridge]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await bridge.login({ username: username.trim(), password, ...(settings?.editable ? { serverUrl: serverUrl.trim() } : {}) });
      if (!result.ok) {
        setError(result.message);
        setPassword('');
      }
    } catch {
      setError('Sign-in failed unexpectedly. Try again; call IT if it persists.');
    } finally {
      setBusy(false);
    }
  };

  const notice = endReason && endReason !== 'logout' ? SESSION_END_MESSAGES[endReason] : null;
  return (
    <main className="login-screen">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Reading Station</h1>
        <p className="subtitle">Sign in to read studies</p>
        {notice && (
          <p className="notice" role="status" data-testid="session-ended">
            {notice}
          </p>
        )}
        {settings?.editable && (
          <label>
            Server URL
            <input type="url" value={serverUrl} onChange={(e) => setServerUrl(e.target.value)} placeholder="https://pacs-gate.hospital.example" required />
          </label>
        )}
        <label>
          User name
          <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
