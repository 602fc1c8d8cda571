# What the images do, done on the host: the scripts the Dockerfiles RUN
# (docker/apt-install.sh, build-extension.sh, build-shim.sh, add-user.sh),
# the migrate service (docker/migrate.sh) against a private cluster, the
# shim as the image installs it with its probe (healthcheck.sh), and the
# runbook's backup and restore commands. No Docker engine needed.
use strict;
use warnings;
use File::Glob qw(:bsd_glob);    # glob() keeps paths with spaces whole
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Digest::SHA;
use File::Find;
use File::Path qw(make_path remove_tree);
use Test::More;

my $pg_port = 54371;
my $http_port = 3341;
my $docker = "$ROOT/docker";
my $work = "$STATE/t301";
remove_tree($work);
make_path($work);
my $cluster = "$work/pg";

sub run {
    my $line = sh_words(@_);
    my $out = `$line 2>&1`;
    return ($? >> 8, $out);
}

# relative path => sha256 of every file under a directory
sub tree_digest {
    my ($dir) = @_;
    my %d;
    find({ no_chdir => 1, wanted => sub {
        return unless -f $_;
        (my $rel = $_) =~ s{^\Q$dir\E/}{};
        $d{$rel} = Digest::SHA->new(256)->addfile($_)->hexdigest;
    } }, $dir);
    return \%d;
}

# Debian packages that provide the libraries a binary links directly
sub needed_packages {
    my ($bin) = @_;
    my %pkgs;
    my @needed = `readelf -d '$bin'` =~ /\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g;
    for my $lib (@needed) {
        my ($path) = `ldconfig -p` =~ /^\s*\Q$lib\E \(libc6,x86-64[^)]*\) => (\S+)/m;
        $path //= "/lib/x86_64-linux-gnu/$lib";
        my $owner = `dpkg -S '$path' 2>/dev/null` || `dpkg -S '/usr$path' 2>/dev/null` || '';
        my ($pkg) = $owner =~ /^([^:]+):/;
        $pkgs{$lib} = $pkg // '?';
    }
    return \%pkgs;
}

sub list_packages {
    my ($file) = @_;
    open my $fh, '<', $file or die "$file: $!";
    my @p = map { s/#.*//r =~ s/\s+//gr } <$fh>;
    return { map { $_ => 1 } grep { length } @p };
}

# --- apt-install.sh: every list, on the host, is satisfied (no-op) ------------
for my $list (glob "$docker/packages/*.txt") {
    my ($rc, $out) = run("$docker/apt-install.sh", $list);
    is($rc, 0, "apt-install.sh $list") or diag $out;
}
my ($rc, $out) = run("$docker/apt-install.sh", "$docker/packages/db-runtime.txt");
is($out, '', 'apt-install.sh is quiet when nothing is missing');

# --- build-extension.sh: installs the extension, twice the same ---------------
my $ext_dest = "$work/ext-out";
($rc, $out) = run("$docker/build-extension.sh", $ext_dest);
is($rc, 0, 'build-extension.sh builds and installs into DESTDIR') or diag $out;
my $first = tree_digest($ext_dest);
my $pkglibdir = `pg_config --pkglibdir`; chomp $pkglibdir;
my $sharedir = `pg_config --sharedir`; chomp $sharedir;
ok(-f "$ext_dest$pkglibdir/finote.so", 'finote.so installed');
ok(-f "$ext_dest$sharedir/extension/finote.control", 'finote.control installed');
for my $sql (glob "$ROOT/sql/finote--*.sql") {
    my ($base) = $sql =~ m{([^/]+)$};
    ok(-f "$ext_dest$sharedir/extension/$base", "$base installed");
}
($rc, $out) = run("$docker/build-extension.sh", $ext_dest);
is($rc, 0, 'build-extension.sh runs again');
is_deeply(tree_digest($ext_dest), $first, 'a second run installs the same files (idempotent)');
my $db_runtime = list_packages("$docker/packages/db-runtime.txt");
my $ext_libs = needed_packages("$ext_dest$pkglibdir/finote.so");
for my $lib (sort keys %$ext_libs) {
    my $pkg = $ext_libs->{$lib};
    ok($pkg eq 'libc6' || $db_runtime->{$pkg}, "finote.so needs $lib: $pkg is in db-runtime.txt (or the base image)");
}

# --- build-shim.sh: the shim image's files ------------------------------------
my $shim_dest = "$work/shim-out";
($rc, $out) = run("$docker/build-shim.sh", $shim_dest);
is($rc, 0, 'build-shim.sh builds and installs into DESTDIR') or diag $out;
my $bin = "$shim_dest/usr/local/bin/finote-shim";
ok(-x $bin, 'finote-shim installed');
ok(-x "$shim_dest/usr/local/bin/finote-healthcheck", 'finote-healthcheck installed');
ok(-f "$shim_dest/usr/local/share/finote/www/index.html", 'the web app installed');
ok(-f "$shim_dest/usr/local/share/finote/openapi.json", 'openapi.json installed');
my $shim_first = tree_digest($shim_dest);
($rc, $out) = run("$docker/build-shim.sh", $shim_dest);
is($rc, 0, 'build-shim.sh runs again');
is_deeply(tree_digest($shim_dest), $shim_first, 'a second run installs the same files (idempotent)');
my $shim_runtime = list_packages("$docker/packages/shim-runtime.txt");
my $shim_libs = needed_packages($bin);
ok(scalar(keys %$shim_libs) >= 3, 'finote-shim links ' . join(', ', sort keys %$shim_libs));
for my $lib (sort keys %$shim_libs) {
    my $pkg = $shim_libs->{$lib};
    ok($pkg eq 'libc6' || $shim_runtime->{$pkg}, "finote-shim needs $lib: $pkg is in shim-runtime.txt");
}

# --- add-user.sh: on a copy of /etc (useradd wants root, as in the image build) ---
SKIP: {
    skip 'add-user.sh runs as root (useradd), as in the image build', 5 if $> != 0;
    my $etc_root = "$work/root";
    make_path("$etc_root/etc");
    system('cp', '-p', (map { "/etc/$_" } qw(passwd group shadow gshadow login.defs)), "$etc_root/etc/") == 0 or die;
    my $host_passwd = slurp('/etc/passwd');
    ($rc, $out) = run("$docker/add-user.sh", $etc_root);
    is($rc, 0, 'add-user.sh adds the user') or diag $out;
    like(slurp("$etc_root/etc/passwd"), qr{^finote:x:10001:10001::/nonexistent:/usr/sbin/nologin$}m,
        'finote: uid 10001, no home, no shell');
    my $passwd_after = slurp("$etc_root/etc/passwd");
    ($rc, $out) = run("$docker/add-user.sh", $etc_root);
    is($rc, 0, 'add-user.sh runs again');
    is(slurp("$etc_root/etc/passwd"), $passwd_after, 'a second run changes nothing');
    is(slurp('/etc/passwd'), $host_passwd, "the host's /etc/passwd is untouched");
}

# --- migrate.sh against a private cluster ------------------------------------------
# the extension the migration uses is the one the host installed (make install)
system("$ROOT/test/bin/pgcluster", 'stop', $cluster);
# 54371 lies in Linux's ephemeral port range: a passing outgoing connection
# can hold it for a moment, so a failed start is tried again
my $started;
for (1 .. 10) {
    last if $started = system("$ROOT/test/bin/pgcluster", 'start', $cluster, $pg_port) == 0;
    sleep 3;
}
$started or BAIL_OUT("cannot start a cluster on port $pg_port");
END { system("$ROOT/test/bin/pgcluster", 'stop', $cluster) if $cluster }
psql($pg_port, 'postgres', 'CREATE DATABASE finote');
my $conn = "postgresql://postgres\@127.0.0.1:$pg_port/finote";
my $default = psql($pg_port, 'finote', "SELECT default_version FROM pg_available_extensions WHERE name = 'finote'");
ok($default, "the server offers finote $default");

sub migrate {
    my (%env) = @_;
    my $c = delete $env{conn} // $conn;
    local @ENV{ keys %env } = values %env;
    return run("$docker/migrate.sh", $c);
}
sub catalog_state {
    psql($pg_port, 'finote', q{SELECT e.oid || ' ' || e.extversion || ' ' ||
        (SELECT count(*) FROM pg_depend d WHERE d.refobjid = e.oid AND d.deptype = 'e')
        FROM pg_extension e WHERE e.extname = 'finote'});
}

($rc, $out) = migrate(FINOTE_APP_PASSWORD => 'app-secret-1');
is($rc, 0, 'migrate on an empty database exits 0') or diag $out;
like($out, qr/created extension finote \Q$default\E/, 'it says it created the extension');
is(psql($pg_port, 'finote', "SELECT extversion FROM pg_extension WHERE extname = 'finote'"), $default,
    "finote $default is installed");
is(psql($pg_port, 'finote', q{SELECT rolcanlogin AND pg_has_role('finote_app', 'finote_api', 'MEMBER')
    AND rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'finote_app'}), 't',
    'finote_app: LOGIN, member of finote_api, with the password');
my $state = catalog_state();
my $pw = psql($pg_port, 'postgres', "SELECT rolpassword FROM pg_authid WHERE rolname = 'finote_app'");
($rc, $out) = migrate();
is($rc, 0, 'a second migrate exits 0');
like($out, qr/nothing to do/, 'and says there is nothing to do');
is(catalog_state(), $state, 'the extension is unchanged (same oid, version and members)');
is(psql($pg_port, 'postgres', "SELECT rolpassword FROM pg_authid WHERE rolname = 'finote_app'"), $pw,
    'without FINOTE_APP_PASSWORD the password is left alone');
# as the compose service runs it: no URL, libpq's variables (PGPASSWORD would carry the password)
($rc, $out) = migrate(conn => '', PGHOST => '127.0.0.1', PGPORT => $pg_port, PGUSER => 'postgres', PGDATABASE => 'finote');
is($rc, 0, 'migrate with PGHOST/PGPORT/PGUSER/PGDATABASE only (the compose service)') or diag $out;
like($out, qr/nothing to do/, 'finds the same database current');

# the shim, as the image installs it, on the migrated database
{
    local $ENV{FINOTE_SHIM_BIN} = $bin;
    my $shim = start_shim(PORT => $http_port, SESSION_SECRET => 's' x 40,
        FINOTE_WEB_ROOT => "$shim_dest/usr/local/share/finote/www",
        DATABASE_URL => "postgresql://finote_app:app-secret-1\@127.0.0.1:$pg_port/finote");
    local $ENV{PORT} = $http_port;
    my $probe = "$shim_dest/usr/local/bin/finote-healthcheck";
    is((run($probe))[0], 0, 'finote-healthcheck (/healthz) passes on the installed shim');
    is((run($probe, '/readyz'))[0], 0, 'finote-healthcheck /readyz passes: database and version fine');
    my ($bad_rc, $bad_out) = run($probe, '/no-such-path');
    is($bad_rc, 1, 'finote-healthcheck fails on a 404');
    like($bad_out, qr/answered 404/, 'and says what it got');
    local $ENV{PORT} = 3349;
    is((run($probe))[0], 1, 'finote-healthcheck fails when nothing listens');
    my $r = api($shim, 'GET', '/');
    is($r->{status}, 200, 'the installed web app is served');
    my ($login) = register_and_login($shim, 'dockeruser', 'docker-password');
    ok($login->{json}{token}, 'register and login through the installed shim');
    api($shim, 'POST', '/api/notes', { title => 'before backup', content => 'kept' },
        Authorization => "Bearer $login->{json}{token}");
    stop_shim($shim);
}

# the runbook's backup and restore, minus "docker compose exec -T db"
my $bindir = `pg_config --bindir`; chomp $bindir;
my @conn = ('-h', '127.0.0.1', '-p', $pg_port, '-U', 'postgres');
my $dump = "$work/finote-backup.dump";
is(system("'$bindir/pg_dump' @conn -Fc finote > '$dump'"), 0, 'pg_dump -Fc (runbook: Backup)');
ok(-s $dump, 'the dump is not empty');
is(system("'$bindir/dropdb' @conn --force finote && '$bindir/createdb' @conn finote"), 0, 'dropdb --force, createdb');
is(system("'$bindir/pg_restore' @conn -d finote --exit-on-error < '$dump'"), 0, 'pg_restore --exit-on-error');
($rc, $out) = migrate();
is($rc, 0, 'migrate after the restore') or diag $out;
is(psql($pg_port, 'finote', q{SELECT count(*) FROM (SELECT finote.login('dockeruser', 'docker-password')) l}), 1,
    'the restored user logs in');

# an older version is updated, and the data stays
my @versions = split /\n/, psql($pg_port, 'finote', "SELECT version FROM pg_available_extension_versions WHERE name = 'finote' ORDER BY version");
SKIP: {
    skip 'only one version of finote is available', 4 unless @versions > 1 && $versions[0] ne $default;
    psql($pg_port, 'postgres', 'CREATE DATABASE old');
    psql($pg_port, 'old', "CREATE EXTENSION finote VERSION '$versions[0]'");
    psql($pg_port, 'old', q{SELECT finote.register('olduser', 'old-password')});
    ($rc, $out) = migrate(conn => "postgresql://postgres\@127.0.0.1:$pg_port/old");
    is($rc, 0, "migrate from $versions[0] exits 0") or diag $out;
    like($out, qr/updated finote \Q$versions[0]\E -> \Q$default\E/, "it says $versions[0] -> $default");
    is(psql($pg_port, 'old', "SELECT extversion FROM pg_extension WHERE extname = 'finote'"), $default, "now at $default");
    is(psql($pg_port, 'old', q{SELECT count(*) FROM (SELECT finote.login('olduser', 'old-password')) l}), 1,
        'the user from before the update still logs in');
}

# a migration that fails exits non-zero and changes nothing
psql($pg_port, 'postgres', 'CREATE DATABASE broken');
psql($pg_port, 'broken', 'CREATE SCHEMA finote; CREATE TABLE finote.users (x int)');
($rc, $out) = migrate(conn => "postgresql://postgres\@127.0.0.1:$pg_port/broken");
isnt($rc, 0, 'a failing migrate exits non-zero');
like($out, qr/FAILED.*nothing changed/, 'and says so');
is(psql($pg_port, 'broken', "SELECT count(*) FROM pg_extension WHERE extname = 'finote'"), 0,
    'no extension was left behind');
($rc, $out) = migrate(conn => "postgresql://postgres\@127.0.0.1:$pg_port/nonexistent", FINOTE_MIGRATE_WAIT => 2);
isnt($rc, 0, 'migrate against a missing database exits non-zero');
like($out, qr/database "nonexistent" does not exist/, 'and names what it waited for');
($rc, $out) = migrate(conn => 'postgresql://postgres@127.0.0.1:3348/finote', FINOTE_MIGRATE_WAIT => 1);
isnt($rc, 0, 'migrate against no server exits non-zero after FINOTE_MIGRATE_WAIT');
like($out, qr/did not accept connections/, 'and says why');

done_testing();
