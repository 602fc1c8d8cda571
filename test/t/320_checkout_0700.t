# make run from a checkout that the user postgres cannot enter, as root: a
# clone in /root (mode 0700), here a copy of the working tree in a 0700
# temporary directory whose path has spaces. test/bin/statedir links .finote
# to a directory postgres can reach and says where; the cluster starts there,
# the service answers, and its data survives a stop and a start. Root only
# (as any other user the cluster runs as that user, who owns the checkout).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest qw(slurp $ROOT);
use File::Temp qw(tempdir);
use File::Path qw(remove_tree);
use HTTP::Tiny;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);
use Test::More;

plan skip_all => 'as root only: the server then runs as postgres' if $> != 0;
plan skip_all => 'no OS user postgres' unless getpwnam('postgres');

my $port = 3378;
my $pgport = 54378;
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
stop_run();
ok(!$http->get("http://127.0.0.1:$port/readyz")->{success}, 'Ctrl-C stopped the service');

ok(start_run(2), 'make run again') or diag slurp($run_log);
unlike(slurp($run_log), qr/so they live in/, 'the link is made once');
($st, $body) = api('GET', '/api/notes', undef, $token);
is($st, 200, 'the session survived the restart');
like($body, qr/"title"\s*:\s*"kept"/, 'and the note');
stop_run();

done_testing();
