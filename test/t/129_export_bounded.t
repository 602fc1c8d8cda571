# Issue 20, finding 3: an export costs bounded work whatever the account
# holds. The account of the finding (20 notes, each with 50 revisions of
# 100,000 x U+0001, which JSON escapes to 6 bytes each: 612 MB of export)
# is exported through the shim with the backend's and the shim's peak
# memory (VmHWM) at most 64 MB each; FINOTE_EXPORT_MAX_BYTES ends a larger
# spool with 507; a client that hangs up has its export statement ended
# within 1 s; a user has one export at a time (429), so that two of one
# user's cannot take every slot from the others. And the versions mix:
# this shim against a 1.2.1 database, the 1.2.1 shim against this one.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use Time::HiRes qw(sleep time);
use Test::More;

my $asan = ($ENV{FINOTE_SHIM_BIN} // '') =~ /asan/;
my $pg_port = free_port();
my ($dir, $dburl) = start_cluster('t129', $pg_port);
my $spool_dir = "$dir/spool";
make_path($spool_dir);
# the export of finding 3 takes ~6 s on an idle machine, ten times that on a busy one
my %env = (DATABASE_URL => $dburl, SESSION_SECRET => 'x' x 32, FINOTE_EXPORT_DIR => $spool_dir,
    FINOTE_EXPORT_TIMEOUT_MS => 600_000);
my $shim = start_shim(PORT => free_port(), %env);
my $r;

sub token { my ($user) = @_; return (register_and_login($shim, $user, "${user}password"))[0]{json}{token} }
sub status_kb {
    my ($pid, $field) = @_;
    return slurp("/proc/$pid/status") =~ /^$field:\s+(\d+) kB/m ? $1 : die "no $field for $pid";
}
# The shim's export statements that are running (their backends' pids).
sub exporting {
    return psql($pg_port, 'finote', "SELECT string_agg(pid::text, ',') FROM pg_stat_activity"
        . " WHERE application_name = 'finote-shim' AND state = 'active' AND query LIKE '%finote.export(%'");
}
sub wait_until {
    my ($what, $secs) = @_;
    my $until = time + $secs;
    until ($what->()) { return 0 if time > $until; sleep 0.02 }
    return 1;
}
# A request for an export whose answer is not read (yet).
sub export_request {
    my ($port, $token, $query) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 60) or die "connect: $!";
    print $s "GET /api/export$query HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $token\r\nConnection: close\r\n\r\n";
    return $s;
}

# --- the account of finding 3, made as the API makes it -----------------------
# Each PATCH of the title keeps the replaced state as a revision (the DBA calls
# the function the route calls, finote.note_update, without 1,000 HTTP round trips).
my $max = token('maxine');
my $t0 = time;
psql($pg_port, 'finote', <<"SQL");
SET finote.revision_collapse = 0;
SELECT count(finote.note_create('$max', 'note ' || i, pg_catalog.repeat(pg_catalog.chr(1), 100000)))
  FROM generate_series(1, 20) i;
SELECT count(finote.note_update('$max', n.id, title => n.title || ' take ' || t))
  FROM finote.notes n JOIN finote.users u ON u.id = n.user_id AND u.username = 'maxine', generate_series(1, 50) t;
SQL
is(psql($pg_port, 'finote', "SELECT count(*) || ' ' || count(DISTINCT note_id) || ' ' || min(length(content)) || ' ' || max(length(content))"
    . " FROM finote.revisions WHERE content = repeat(chr(1), 100000)"), '1000 20 100000 100000',
    'the account: 20 notes with 50 revisions each of 100,000 x U+0001');
my $disk = psql($pg_port, 'finote', "SELECT pg_total_relation_size('finote.revisions') + pg_total_relation_size('finote.notes')");
diag(sprintf('the account made in %.1f s; notes and revisions take %.1f MB on disk', time - $t0, $disk / 1e6));

# --- its export: bounded memory in the backend and in the shim ----------------
# A fresh shim with one connection: one backend serves the export, and its
# peak memory (VmHWM) is the export's. temp files are logged from 0 bytes.
psql($pg_port, 'postgres', 'ALTER SYSTEM SET log_temp_files = 0');
psql($pg_port, 'postgres', 'SELECT pg_reload_conf()');
stop_shim($shim);
$shim = start_shim(PORT => free_port(), %env, DB_POOL_MAX => 1, FINOTE_EXPORT_MAX_BYTES => 1 << 30);
my $log_before = -s "$dir/postgres.log";
$t0 = time;
my $s = export_request($shim->{port}, $max, '?revisions=true');
my ($buf, $head, $length, $got, $spooled, $first, $tail) = ('', '', 0, 0, 0, '', '');
# counted as the body streams by: it is not kept
my %pattern = (revisions => '"note_id": ', notes => '"revisions" : [');
my %carry = map { $_ => '' } keys %pattern;
my %count = map { $_ => 0 } keys %pattern;
while (1) {
    my $n = sysread($s, $buf, 1 << 20, length $buf);
    last unless $n;
    if (!$head) {
        next unless $buf =~ /\r\n\r\n/;
        ($head, $buf) = split /\r\n\r\n/, $buf, 2;
        ($length) = $head =~ /^Content-Length: (\d+)/mi;
        $spooled = time - $t0;
    }
    $first .= substr($buf, 0, 40 - length $first) if length $first < 40;
    $got += length $buf;
    $tail = substr($tail . $buf, -20);
    for my $k (keys %pattern) {
        my $text = $carry{$k} . $buf;
        $count{$k} += () = $text =~ /\Q$pattern{$k}\E/g;
        $carry{$k} = substr($text, -(length($pattern{$k}) - 1));
    }
    $buf = '';
}
close $s;
my $secs = time - $t0;
like($head, qr{^HTTP/1\.1 200 }, 'the export of finding 3: 200');
is($got, $length, "all $length bytes arrived");
ok($length > 600_000_000, sprintf('it is %.0f MB', $length / 1e6));
like($first, qr/^\{"format" : "finote-export"/, 'it is the export document');
like($tail, qr/\]\}\], "trash" : \[\]\}$/, 'to its end');
is_deeply(\%count, { revisions => 1000, notes => 20 }, 'with every note and every revision');
my $backend = psql($pg_port, 'finote', "SELECT pid FROM pg_stat_activity WHERE application_name = 'finote-shim'");
my $backend_kb = status_kb($backend, 'VmHWM');
my $shim_kb = status_kb($shim->{pid}, 'VmHWM');
ok($backend_kb <= 64 * 1024, "the backend's peak memory: $backend_kb kB (<= 64 MB)");
SKIP: {
    skip 'AddressSanitizer keeps freed memory in quarantine: RSS says nothing here', 1 if $asan;
    ok($shim_kb <= 64 * 1024, "the shim's peak memory: $shim_kb kB (<= 64 MB)");
}
my $log = substr(slurp("$dir/postgres.log"), $log_before);
unlike($log, qr/temporary file/, 'and no temporary file in the database (log_temp_files = 0)');
diag(sprintf('export of finding 3: %.1f MB in %.1f s (spooled in %.1f s); backend VmHWM %.1f MB, shim VmHWM %.1f MB',
    $length / 1e6, $secs, $spooled, $backend_kb / 1024, $shim_kb / 1024));

# --- a client that hangs up: its statement ends within 1 s ---------------------
$s = export_request($shim->{port}, $max, '?revisions=true');
ok(wait_until(sub { exporting() }, 10), 'an export is running');
close $s;
my $closed = time;
# when the backend went idle, its transaction rolled back, by the server's
# clock (the same as ours): not when a busy machine let psql see it
my $idle_at = '';
ok(wait_until(sub {
    $idle_at = psql($pg_port, 'finote', "SELECT extract(epoch FROM state_change) FROM pg_stat_activity"
        . " WHERE application_name = 'finote-shim' AND state = 'idle'");
    length $idle_at }, 5), 'the client hangs up: its connection goes idle');
my $ended = length $idle_at ? $idle_at - $closed : 99;
ok($ended < 1, sprintf('its export statement ended, and its transaction, %.2f s later (< 1 s)', $ended));
is(api($shim, 'GET', '/api/auth/me', undef, Authorization => "Bearer $max")->{status}, 200,
    'the one pooled connection serves on');
like(access_log($shim), qr{ GET /api/export 499 }, 'the access log says 499');

# --- FINOTE_EXPORT_MAX_BYTES ---------------------------------------------------
stop_shim($shim);
$shim = start_shim(PORT => free_port(), %env, DB_POOL_MAX => 1, FINOTE_EXPORT_MAX_BYTES => 1 << 20);
my $small = token('sam');
api($shim, 'POST', '/api/notes', { title => 'small', content => 'fits' }, Authorization => "Bearer $small");
$t0 = time;
$r = api($shim, 'GET', '/api/export', undef, Authorization => "Bearer $max");
is($r->{status}, 507, 'an export past FINOTE_EXPORT_MAX_BYTES (1 MiB): 507');
is($r->{json}{error}{code}, 'export_too_large', '507: code export_too_large');
like($r->{json}{error}{message}, qr/1048576 bytes/, '507: the message says the limit');
ok(time - $t0 < 2, sprintf('at once (%.2f s): the statement is stopped at the limit', time - $t0));
is(exporting(), '', 'and is not running');
$r = api($shim, 'GET', '/api/export', undef, Authorization => "Bearer $small");
is($r->{status}, 200, 'an export under the limit: 200');
is((eval { decode_json($r->{content}) } // {})->{notes}[0]{content}, 'fits', 'whole');
is(psql($pg_port, 'finote', "SELECT count(*) || ' ' || string_agg(state, ',') FROM pg_stat_activity WHERE application_name = 'finote-shim'"),
    '1 idle', 'the one connection is idle, its transaction ended');
opendir(my $dh, $spool_dir) or die;
is(scalar(grep { !/^\./ } readdir $dh), 0, 'no spool file is left');

# --- one export per user: two of one user, and a third user --------------------
stop_shim($shim);
$shim = start_shim(PORT => free_port(), %env, FINOTE_EXPORT_MAX => 2, FINOTE_EXPORT_MAX_BYTES => 1 << 30);
my $first_reader = export_request($shim->{port}, $max, '?revisions=true');
ok(wait_until(sub { exporting() }, 10), "one of maxine's exports runs");
my $second_reader = export_request($shim->{port}, $max, '?revisions=true');
my $sel = IO::Select->new($second_reader);
ok(wait_until(sub { $sel->can_read(0) || exporting() =~ /,/ }, 10), "maxine's second export is answered, or runs");
$r = api($shim, 'GET', '/api/export', undef, Authorization => "Bearer $small");
is($r->{status}, 200, 'another user exports meanwhile');
# an error's whole answer, or the head of an export and no more: a slow reader
my $answer = '';
wait_until(sub { sysread($second_reader, $answer, 4096, length $answer) if $sel->can_read(0); $answer =~ /\}\}$/ }, 10);
close $second_reader;
like($answer, qr{^HTTP/1\.1 429 }, 'a second export of the same user at the same time: 429');
like($answer, qr{^Retry-After: 5\r$}mi, '429: with Retry-After');
like($answer, qr{"code":"export_in_progress"}, '429: code export_in_progress');
close $first_reader;
ok(wait_until(sub { !exporting() }, 2), 'maxine hangs up, and her export ends');
ok(wait_until(sub { api($shim, 'GET', '/api/export', undef, Authorization => "Bearer $max")->{status} == 200 }, 2),
    'then she exports again');
is(api($shim, 'GET', '/api/export', undef, Authorization => 'Bearer ' . ('A' x 64))->{status}, 401,
    'a token of no session: 401');
logs_clean($shim, 'maxinepassword', 'sampassword', $max, $small);
stop_shim($shim);

# --- versions: this shim and a 1.2.1 database, the 1.2.1 shim and this one ----
my $old_port = free_port();
my (undef, $old_url) = start_cluster('t129old', $old_port, version => '1.2.1');
$shim = start_shim(PORT => free_port(), %env, DATABASE_URL => $old_url);
my $old = token('olga');
my $note = api($shim, 'POST', '/api/notes', { title => 'v1', content => 'a' }, Authorization => "Bearer $old")->{json}{note};
api($shim, 'PATCH', "/api/notes/$note->{id}", { title => 'v2' }, Authorization => "Bearer $old");
$r = api($shim, 'GET', '/api/export?revisions=true', undef, Authorization => "Bearer $old");
is($r->{status}, 200, 'this shim, a 1.2.1 database: the export');
is((eval { decode_json($r->{content}) } // {})->{notes}[0]{revisions}[0]{title}, 'v1', 'with its revisions');
stop_shim($shim);
SKIP: {
    my $shallow = `git -C '$ROOT' rev-parse --is-shallow-repository 2>/dev/null`;
    chomp $shallow;
    skip 'no git history here: the 1.2.1 shim cannot be built from it', 3 if $? || $shallow ne 'false';
    my $commit = `git -C '$ROOT' log --format=%H -1 -- sql/finote--1.2--1.2.1.sql`;
    chomp $commit;
    my $tmp = tempdir(CLEANUP => 1);
    system("git -C '$ROOT' archive $commit shim | tar -x -C '$tmp'") == 0 or die 'git archive failed';
    system('make', '-s', '-C', "$tmp/shim", 'finote-shim', 'CFLAGS=-O0 -g') == 0 or die 'the 1.2.1 shim does not build';
    local $ENV{FINOTE_SHIM_BIN} = "$tmp/shim/finote-shim";
    my $old_shim = start_shim(PORT => free_port(), %env, tag => 'shim-1.2.1');
    $r = api($old_shim, 'GET', '/api/export?revisions=true', undef, Authorization => "Bearer $small");
    is($r->{status}, 200, 'the 1.2.1 shim, this database: the export');
    is((eval { decode_json($r->{content}) } // {})->{notes}[0]{content}, 'fits', 'whole');
    stop_shim($old_shim);
}
done_testing();
