import { Option, type Command } from 'commander';
import { RefreshTokenStore } from '../../auth/refresh-tokens.ts';
import { ROLES, type Role } from '../../users/roles.ts';
import { createUser, findUserByUsername, linkIdpIdentity, setUserDisabled } from '../../users/user-repository.ts';
import { normalizeUsername } from '../../users/username.ts';
import { UsageError, type CliContext } from '../context.ts';

/** `user add | revoke-sessions | disable | enable`: accounts. Usernames are taken in their canonical form. */
export function userCommands(program: Command, { io, withDatabase }: CliContext): void {
  const user = program.command('user').description('manage user accounts');

  user
    .command('add')
    .description('create a user; the password comes from stdin (--password-stdin) or RS_NEW_PASSWORD')
    // Normalised (and checked) by createUser, whose error quotes the name as given.
    .requiredOption('--username <name>', 'login name (stored in lower case)')
    .addOption(new Option('--role <role>', 'what the user is to the hospital').choices(ROLES).makeOptionMandatory())
    .requiredOption('--display-name <name>', 'name shown in the app')
    .option('--patient-id <id>', 'DICOM PatientID whose studies a patient account may see (role patient only)')
    .option('--issuer <issuer>', "the PatientID's IssuerOfPatientID, where the hospital's PACS gives one (with --patient-id)")
    .option('--password-stdin', 'read the password from standard input')
    .action(async (options: { username: string; role: Role; displayName: string; patientId?: string; issuer?: string; passwordStdin?: boolean }, command: Command) => {
      if (options.issuer !== undefined && options.patientId === undefined) throw new UsageError('--issuer needs --patient-id');
      const password = options.passwordStdin === true ? await readPassword(io.stdin) : io.env.RS_NEW_PASSWORD;
      if (password === undefined || password === '') {
        throw new UsageError('no password: pipe it to --password-stdin or set RS_NEW_PASSWORD');
      }
      const created = await withDatabase(command, (db) =>
        createUser(db, {
          username: options.username,
          displayName: options.displayName,
          role: options.role,
          password,
          ...(options.patientId !== undefined && { patientId: options.patientId }),
          ...(options.issuer !== undefined && { issuerOfPatientId: options.issuer }),
        }),
      );
      io.stdout.write(`created user ${created.username} (${created.role}, id ${created.id})\n`);
    });

  user
    .command('revoke-sessions')
    .description('end every session of a user at once (their access tokens stop working on the next request)')
    .argument('<username>', 'login name', normalizeUsername)
    .action(async (username: string, _options: unknown, command: Command) => {
      const count = await withDatabase(command, async (db) => {
        const account = await findUserByUsername(db, username);
        if (!account) throw new UsageError(`no user ${username}`);
        return new RefreshTokenStore(db, { ttlSeconds: 60 }).revokeAllForUser(account.id);
      });
      io.stdout.write(`ended ${count} session${count === 1 ? '' : 's'} of ${username}\n`);
    });

  user
    .command('link-idp')
    .description("link a hospital IdP account (its issuer and the token's sub) to a user; IdP tokens are matched by these only")
    .argument('<username>', 'login name', normalizeUsername)
    .requiredOption('--issuer <iss>', "the IdP's issuer, exactly as in its tokens' iss")
    .requiredOption('--subject <sub>', "the account's sub in the IdP's tokens")
    .action(async (username: string, options: { issuer: string; subject: string }, command: Command) => {
      await withDatabase(command, (db) => linkIdpIdentity(db, username, options.issuer, options.subject));
      io.stdout.write(`linked ${options.issuer} ${options.subject} to ${username}\n`);
    });

  for (const [name, disabled] of [['disable', true], ['enable', false]] as const) {
    user
      .command(name)
      .description(disabled ? 'stop a user from logging in or fetching images (immediately)' : 'let a disabled user log in again')
      .argument('<username>', 'login name', normalizeUsername)
      .action(async (username: string, _options: unknown, command: Command) => {
        await withDatabase(command, (db) => setUserDisabled(db, username, disabled));
        io.stdout.write(`user ${username} ${disabled ? 'disabled' : 'enabled'}\n`);
      });
  }
}

async function readPassword(stdin: AsyncIterable<string | Buffer>): Promise<string> {
  let text = '';
  for await (const chunk of stdin) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  // `echo secret |` adds one newline; it is not part of the password.
  return text.replace(/\r?\n$/, '');
}
