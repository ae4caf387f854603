import { createRoot } from 'react-dom/client';
import { App } from './app/App.tsx';
import { selectBridge } from './bridge/select-bridge.ts';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(<App bridge={selectBridge()} />);
