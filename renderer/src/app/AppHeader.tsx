import { navigate } from './routes.ts';
import { useSession } from './session-context.ts';

const ROLE_LABELS: Readonly<Record<string, string>> = {
  admin: 'Administrator',
  radiologist: 'Radiologist',
  doctor: 'Physician',
  patient: 'Patient',
  nurse: 'Nurse',
  lab: 'Laboratory',
};

export function AppHeader() {
  const { bridge, session } = useSession();
  return (
    <header className="app-header">
      <a
        className="brand"
        href="#/worklist"
        onClick={(event) => {
          event.preventDefault();
          navigate({ name: 'worklist' });
        }}
      >
        Reading Station
      </a>
      <div className="user" data-testid="signed-in-user">
        <span className="user-name">{session.user.displayName}</span>
        <span className="user-role">{ROLE_LABELS[session.user.role] ?? session.user.role}</span>
      </div>
      <button type="button" className="secondary" onClick={() => void bridge.logout()}>
        Sign out
      </button>
    </header>
  );
}
