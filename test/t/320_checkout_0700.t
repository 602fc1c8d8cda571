# make run from a checkout that the user postgres cannot enter, as root: a
# clone in /root (mode 0700), here a copy of the working tree in a 0700
# temporary directory whose path has spaces. test/bin/statedir links .finote
# to a directory postgres can reach and says where; the cluster starts there,
# the service answers, and its data survives a stop and a start. Root only
# (as any other user the cluster runs as that user, who owns the checkout).
# Another local user (nobody) gets nothing from it: not the superuser over
# 127.0.0.1 (it had it: initdb -A trust), nor the socket; the superuser's
# password is in .finote/run/pgpass (0600); the shim listens on 127.0.0.1
# only; and a cluster of the old trusting kind is made private on its next
# start.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest qw(slurp free_port $ROOT);
use File::Temp qw(tempdir);
use File::Path qw(remove_tree);
use HTTP::Tiny;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);
use Test::More;

plan skip_all => 'as root only: the server then runs as postgres' if $> != 0;
plan skip_all => 'no OS user postgres' unless getpwnam('postgres');

my $port = free_port();
my $pgport = free_port();
my $private = tempdir('finote 0700 XXXX', TMPDIR => 1, CLEANUP => 0);
chmod 0700, $private;
my $checkout = "$private/finote checkout";
mkdir $checkout or die;
# where .finote goes: a directory of this test's own, not /var/lib/finote
my $base = tempdir('finote-state-XXXX', TMPDIR => 1, CLEANUP => 0);
chmod 0755, $base;
$ENV{FINOTE_STATE_BASE} = "$base/clusters";

# the working tree as a fresh clone has it (tracked and new files, no build products)
system("cd '$ROOT' && git ls-files -z -co --exclude-standard | tar --null -T - -c | tar -x -C '$checkout'") == 0
  or die 'copying the working tree failed';
ok(system('runuser', '-u', 'postgres', '--', 'test', '-x', $checkout) != 0,
    'postgres cannot enter the checkout');

my $http = HTTP::Tiny->new(timeout => 5);
my ($run_pid, $run_log);
sub start_run {
    my ($n) = @_;
    $run_log = "$base/run$n.log";
    $run_pid = fork // die;
    if (!$run_pid) {
        open STDOUT, '>', $run_log or die;
        open STDERR, '>&', \*STDOUT or die;
        chdir $checkout or die;
        setpgrp(0, 0);
        $ENV{PORT} = $port;
        $ENV{FINOTE_PGPORT} = $pgport;
        exec('make', 'run') or die "exec: $!";
    }
    # the first run builds the extension and the shim: up to 5 minutes
    my $deadline = time + 300;
    while (time < $deadline) {
        my $r = $http->get("http://127.0.0.1:$port/readyz");
        return 1 if $r->{status} == 200;
        return 0 if waitpid($run_pid, WNOHANG) == $run_pid;
        sleep 0.5;
    }
    return 0;
}
sub stop_run {
    return unless $run_pid;
    kill 'INT', -$run_pid;
    my $deadline = time + 60;
    while (time < $deadline) {
        last if waitpid($run_pid, WNOHANG) == $run_pid;
        sleep 0.2;
    }
    kill 'KILL', -$run_pid if kill 0, $run_pid;
    $run_pid = undef;
}
END {
    stop_run();
    return unless defined $checkout;
    system("cd '$checkout' && test/bin/pgcluster stop .finote/run >/dev/null 2>&1") if -d $checkout;
    remove_tree($private, $base);
}
sub api {
    my ($method, $path, $body, $token) = @_;
    my %h = ('Content-Type' => 'application/json');
    $h{Authorization} = "Bearer $token" if $token;
    my $r = $http->request($method, "http://127.0.0.1:$port$path", { headers => \%h, (defined $body ? (content => $body) : ()) });
    return ($r->{status}, $r->{content});
}

ok(start_run(1), 'make run serves from the 0700 checkout, as root') or diag slurp($run_log);
my $state = readlink("$checkout/.finote") // '';
like($state, qr{^\Q$base\E/clusters/}, '.finote links to a directory under FINOTE_STATE_BASE');
ok(-f "$state/run/data/PG_VERSION", "and the cluster's data is there");
like(slurp($run_log), qr/so they live in \Q$state\E/, 'make run says where');
like(slurp($run_log), qr/data stays in \Q$state\E\/run/, 'and where the data stays');
is((api('POST', '/api/auth/register', '{"username":"private","password":"private-password"}'))[0], 201, 'register');
my ($st, $body) = api('POST', '/api/auth/login', '{"username":"private","password":"private-password"}');
my ($token) = $body =~ /"token"\s*:\s*"([^"]+)"/;
ok($token, 'login');
is((api('POST', '/api/notes', '{"title":"kept","content":"across make run"}', $token))[0], 201, 'a note');

# --- what another local user gets ---------------------------------------------------
my $psql = `pg_config --bindir`;
chomp $psql;
$psql .= '/psql';
# psql as USER (undef: this one) to HOST, with ENV; returns (exit status, output)
sub psql_as {
    my ($user, $host, %env) = @_;
    my @cmd = ($psql, '-X', '-w', '-At', '-h', $host, '-p', $pgport, '-U', 'postgres', '-d', 'finote', '-c', 'SELECT current_user');
    unshift @cmd, 'runuser', '-u', $user, '--' if $user;
    my $pid = open(my $out, '-|') // die;
    if (!$pid) {
        open STDERR, '>&', \*STDOUT or die;
        chdir '/' or die;
        delete @ENV{qw(PGPASSWORD PGPASSFILE PGUSER)};
        $ENV{$_} = $env{$_} for keys %env;
        exec @cmd or die "exec: $!";
    }
    local $/;
    my $text = <$out> // '';
    close $out;
    return ($?, $text);
}
sub nobody_refused {
    my ($when) = @_;
    my ($st, $out) = psql_as('nobody', '127.0.0.1');
    ok($st != 0 && $out =~ /password/, "$when: another local user (nobody) is not the superuser over 127.0.0.1")
      or diag $out;
    ($st, $out) = psql_as('nobody', "$state/run/sock");
    isnt($st, 0, "$when: nor by the cluster's socket") or diag $out;
}
nobody_refused('make run');
my $pgpass = "$state/run/pgpass";
my @st = stat $pgpass;
is(@st ? sprintf('%o %d', $st[2] & 07777, $st[4]) : 'missing', '600 0', "the superuser's password: $pgpass, 0600, root's");
my ($rc, $out) = psql_as(undef, '127.0.0.1', PGPASSFILE => $pgpass);
is($out, "postgres\n", 'with it the owner logs in over 127.0.0.1 as postgres');
my @bound = map { (split ' ')[3] } grep { /\S/ } `ss -Hltn 'sport = :$port'`;
is("@bound", "127.0.0.1:$port", "make run's shim listens on 127.0.0.1 only");

stop_run();
ok(!$http->get("http://127.0.0.1:$port/readyz")->{success}, 'Ctrl-C stopped the service');
# a cluster made by an older make run: initdb's trust for every local connection
open my $hba, '>', "$state/run/data/pg_hba.conf" or die;
print $hba "local all all trust\nhost all all 127.0.0.1/32 trust\n";
close $hba;

ok(start_run(2), 'make run again') or diag slurp($run_log);
unlike(slurp($run_log), qr/so they live in/, 'the link is made once');
nobody_refused('make run on a cluster that trusted local connections');
($st, $body) = api('GET', '/api/notes', undef, $token);
is($st, 200, 'the session survived the restart');
like($body, qr/"title"\s*:\s*"kept"/, 'and the note');
stop_run();

done_testing();
