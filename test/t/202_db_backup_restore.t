# bin/finote-db backup and restore, and guarantee 7: a dump of a database at
# the oldest version, restored into a fresh database and migrated, keeps
# every row.
use strict;
use warnings;
use File::Glob qw(:bsd_glob);    # glob() keeps paths with spaces whole
use lib 'test/lib';
use FinoteDb;
use File::Temp qw(tempdir);
use Test::More;

my $srv = start_server('dbtool-202', free_port());
my $work = tempdir(CLEANUP => 1);
chmod 0777, $work;
my @versions = split /\n/, psql_val($srv, 'postgres',
    "SELECT version FROM pg_available_extension_versions WHERE name = 'finote' ORDER BY string_to_array(version, '.')::int[]");
my ($oldest, $default) = ($versions[0], psql_val($srv, 'postgres', "SELECT default_version FROM pg_available_extensions WHERE name = 'finote'"));

psql_ok($srv, 'postgres', 'CREATE DATABASE src') or BAIL_OUT('createdb');
psql_ok($srv, 'src', "CREATE EXTENSION finote VERSION '$oldest'") or BAIL_OUT('create extension');
psql_val($srv, 'src', <<'SQL');
SELECT finote.register('Dewi', 'dewi password');
SELECT finote.register('eko', 'eko password!');
SELECT finote.note_create(t, 'Catatan ' || i, E'isi\nbaris ' || i || ' ✓')
  FROM (SELECT finote.login('dewi', 'dewi password') ->> 'token' AS t) s, generate_series(1, 5) i;
SELECT finote.note_create(finote.login('eko', 'eko password!') ->> 'token', E'quote '' and \\', '');
SQL
my $eko_token = psql_val($srv, 'src', "SELECT finote.login('eko', 'eko password!') ->> 'token'");
my $rows_sql = "SELECT string_agg(x, E'\\n' ORDER BY x) FROM (
    SELECT row(id, username, password_hash, created_at)::text x FROM finote.users
    UNION ALL SELECT row(user_id, token_hash, created_at, expires_at)::text FROM finote.sessions
    UNION ALL SELECT row(user_id, id, title, content, created_at, updated_at)::text FROM finote.notes) s";
my $before = psql_val($srv, 'src', $rows_sql);

# backup with the default file name, in the current directory.
my ($rc, $out, $err) = tool($srv, ['backup'], DB => 'src', CWD => $work);
is($rc, 0, 'backup') or diag($err);
my ($file) = glob("$work/finote-*.dump");
ok($file && $file =~ m{/finote-\d{8}-\d{6}\.dump$}, 'default name finote-YYYYmmdd-HHMMSS.dump');
like($out, qr/backed up .*\(finote \Q$oldest\E\) to finote-\d{8}-\d{6}\.dump/, 'backup says what it wrote');
is((stat $file)[2] & 0777, 0600, 'the dump is readable by its owner only (it holds password hashes)');
($rc, $out, $err) = tool($srv, ['backup', $file], DB => 'src');
isnt($rc, 0, 'backup refuses to overwrite a file');
like($err, qr/exists; not overwriting it/, 'and says so');
($rc, $out, $err) = tool($srv, ['backup', "$work/x.dump"], DB => 'nosuchdb');
isnt($rc, 0, 'backup of a missing database fails');
ok(!-e "$work/x.dump", 'and leaves no file');

# restore refuses a non-empty database, and an archive that is not one.
psql_ok($srv, 'postgres', 'CREATE DATABASE busy') or die;
psql_ok($srv, 'busy', 'CREATE TABLE public.mine (x int)') or die;
($rc, $out, $err) = tool($srv, ['restore', $file], DB => 'busy');
isnt($rc, 0, 'restore into a non-empty database is refused');
like($err, qr/refusing to restore into .*busy: the database is not empty \(relation (public\.)?mine/, 'with a clear message naming what is there');
is(psql_val($srv, 'busy', "SELECT count(*) FROM pg_extension WHERE extname = 'finote'"), '0', 'nothing was restored');
psql_ok($srv, 'postgres', 'CREATE DATABASE hasext') or die;
psql_ok($srv, 'hasext', 'CREATE EXTENSION finote') or die;
($rc, $out, $err) = tool($srv, ['restore', $file], DB => 'hasext');
isnt($rc, 0, 'restore into a database holding finote is refused');
like($err, qr/not empty \(.*extension finote/, 'and names the extension');
FinoteDb::spew("$work/junk.dump", "not a dump\n");
psql_ok($srv, 'postgres', 'CREATE DATABASE empty1') or die;
($rc, $out, $err) = tool($srv, ['restore', "$work/junk.dump"], DB => 'empty1');
isnt($rc, 0, 'restore of a file that is no archive fails');
like($err, qr/not a pg_dump custom-format archive/, 'and says so');
($rc, $out, $err) = tool($srv, ['restore', "$work/missing.dump"], DB => 'empty1');
like($err, qr/no such file/, 'restore of a missing file fails clearly');
($rc, $out, $err) = tool($srv, ['restore'], DB => 'empty1');
like($err, qr/usage: finote-db restore FILE/, 'restore needs a file');

# Guarantee 7: restore into a fresh database, migrate, data intact.
psql_ok($srv, 'postgres', 'CREATE DATABASE dst') or die;
($rc, $out, $err) = tool($srv, ['restore', $file], DB => 'dst');
is($rc, 0, 'restore into an empty database') or diag($err);
like($out, qr/restored: 2 users, \d+ sessions, 6 notes/, 'restore reports what it restored');
like($out, qr/finote is at \Q$default\E .*migrate needed: no/, 'and the version and whether a migrate is needed');
($rc, $out, $err) = tool($srv, ['migrate'], DB => 'dst');
is($rc, 0, 'migrate after the restore') or diag($err);
is(psql_val($srv, 'dst', "SELECT extversion FROM pg_extension WHERE extname = 'finote'"), $default, "the restored database is at $default");
is(psql_val($srv, 'dst', $rows_sql), $before, 'every row of users, sessions and notes is intact (old columns)');
is(psql_val($srv, 'dst', "SELECT finote.note_list('$eko_token') -> 'notes' -> 0 ->> 'title'"), "quote ' and \\", 'an old session still works');
like(psql_val($srv, 'dst', "SELECT finote.login('Dewi', 'dewi password') ->> 'token'"), qr/^\S{40,}$/, 'logging in again works');
is(psql_val($srv, 'dst', "SELECT has_function_privilege('finote_api', 'finote.login'::regproc, 'EXECUTE')"), 't', 'grants restored');

# A restore that fails part-way is rolled back (one transaction): its last
# step grants to a role that no longer exists.
psql_ok($srv, 'postgres', 'CREATE DATABASE half') or die;
my $pgc = $srv->{pg_config};
my $bindir = `$pgc --bindir`; chomp $bindir;
psql_ok($srv, 'busy', "INSERT INTO public.mine VALUES (1); CREATE ROLE gone; GRANT SELECT ON public.mine TO gone") or die;
system("$bindir/pg_dump", '-Fc', '-h', '127.0.0.1', '-p', $srv->{port}, '-U', 'postgres', '-f', "$work/cut.dump", 'busy') == 0 or die;
psql_ok($srv, 'busy', "REVOKE SELECT ON public.mine FROM gone; DROP ROLE gone") or die;
($rc, $out, $err) = tool($srv, ['restore', "$work/cut.dump"], DB => 'half');
isnt($rc, 0, 'a restore that fails part-way fails');
like($err, qr/restore failed and was rolled back: .* is still empty/, 'and says the database is still empty');
is(psql_val($srv, 'half', "SELECT count(*) FROM pg_class WHERE relname = 'mine'"), '0', 'nothing stays from the failed restore');

done_testing();
