import { describe, expect, it } from 'vitest';
import { renderTemplate } from './template.ts';

describe('renderTemplate', () => {
  it('fills every placeholder, repeated ones too', () => {
    expect(renderTemplate('listen {{HOST}}:{{PORT}}; # {{PORT}}', { HOST: '127.0.0.1', PORT: 8080 })).toBe(
      'listen 127.0.0.1:8080; # 8080',
    );
  });

  it('refuses to leave a placeholder blank', () => {
    expect(() => renderTemplate('{{A}} {{B}} {{C}}', { A: 'x' })).toThrow('template placeholders without a value: B, C');
  });
});
