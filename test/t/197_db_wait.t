# Waiting for a statement's answer costs no wasted reads: the shim polls the
# database's socket and reads it only once it is readable (dbwait.c's
# db_wait; a recv that says EAGAIN was one syscall of ~7 per request,
# test/bench/FINDINGS.md section 11). Seen with strace on a statement that
# waits 1 s on a lock: no recvfrom of the shim ends in EAGAIN meanwhile.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use Test::More;
use POSIX ();
use Time::HiRes qw(sleep);

system('strace -V >/dev/null 2>&1') == 0 or plan skip_all => 'strace is missing (test/bin/deps installs it)';

my $pgport = free_port();
my ($dir, $dburl) = start_cluster('t197', $pgport);
my $shim = start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => 'w' x 32,
    DB_POOL_MAX => 1);
my (undef, $cookie) = register_and_login($shim, 'wes', 'wes password');
my $note = api($shim, 'POST', '/api/notes', { title => 'waited for' }, Cookie => $cookie);
is($note->{status}, 201, 'a note');
my $path = "/api/notes/$note->{json}{note}{id}";
is(api($shim, 'GET', $path, undef, Cookie => $cookie)->{status}, 200, 'read once: the statement is prepared');

my $trace = "$STATE/logs/t197.strace";
unlink $trace;
my $strace = fork // die "fork: $!";
if (!$strace) {
    exec 'strace', '-f', '-qq', '-e', 'trace=recvfrom', '-o', $trace, '-p', $shim->{pid};
    die "exec strace: $!";
}
sleep 1;   # strace attached (it writes nothing until a read)
my $locker = fork // die "fork: $!";
if (!$locker) {
    psql($pgport, 'finote', 'BEGIN; LOCK finote.notes; SELECT pg_sleep(1); COMMIT');
    POSIX::_exit(0);
}
sleep 0.3;
is(api($shim, 'GET', $path, undef, Cookie => $cookie)->{status}, 200, 'a read that waited on a lock');
waitpid($locker, 0);
kill 'INT', $strace;
waitpid($strace, 0);
my $lines = slurp($trace);
my $reads = () = $lines =~ /recvfrom\(/g;
my $wasted = () = $lines =~ /recvfrom\(.*= -1 EAGAIN/g;
cmp_ok($reads, '>=', 2, "strace saw the shim's reads ($reads)");
is($wasted, 0, 'none of them came back empty (EAGAIN) while the statement waited');
stop_shim($shim);
done_testing();
