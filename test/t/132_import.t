# Extension 1.3 through the shim: POST /api/import (shim/README.md). An
# export imported into a fresh account gives the same notes, tags, pins and
# trash; the same document twice skips everything the second time; a body
# over FINOTE_IMPORT_MAX_BYTES is 413 while one over the general 1 MiB limit
# passes; a second import of the account while one runs is 429; a keyed
# import sent again is replayed, and with another body is 422; OPTIONS
# /api/import is 204 at 1.3; bodies over 1 MiB held at once are at most
# FINOTE_IMPORT_MAX (503 beyond); a body is spooled and sent to the
# database in parts, so the shim's memory grows by far less than a 30 MiB
# body, which comes back byte for byte; a byte that is not UTF-8 in its last
# part is 400 with nothing imported.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use FinoteTest;
use IO::Socket::INET;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(sleep time);
use Test::More;

my $JSON = JSON::PP->new->canonical;
my $pg_port = free_port();
my (undef, $dburl) = start_cluster('t132', $pg_port);
my $shim_port = free_port();
my $cap = 3 * 1024 * 1024;
my $shim = start_shim(PORT => $shim_port, DATABASE_URL => $dburl, SESSION_SECRET => 'k' x 32,
    FINOTE_IMPORT_MAX_BYTES => $cap, FINOTE_IMPORT_MAX => 1);
my $r;

sub header { my ($r, $h) = @_; my $v = $r->{headers}{$h}; return ref $v ? join(',', @$v) : $v }
sub bearer { my ($login) = @_; return (Authorization => "Bearer $login->{json}{token}") }
# A document's notes and trash without ids and versions: what must be equal.
sub contents {
    my ($doc) = @_;
    my $strip = sub {
        [sort map { my %n = %$_; delete @n{qw(id version revisions)}; $JSON->encode(\%n) } @{ $_[0] }]
    };
    return { notes => $strip->($doc->{notes}), trash => $strip->($doc->{trash}) };
}

$r = api($shim, 'GET', '/readyz');
is($r->{json}{extension_version}, '1.3', 'ready at 1.3');
is(api($shim, 'OPTIONS', '/api/import')->{status}, 204, 'OPTIONS /api/import: 204 at 1.3');

my ($ann) = register_and_login($shim, 'ann', 'annpassword');
my @ann = bearer($ann);
my @ids;
for my $i (1 .. 5) {
    $r = api($shim, 'POST', '/api/notes', { title => "note $i", content => "text $i" x $i,
        pinned => $i == 2 ? JSON::PP::true : JSON::PP::false, tags => $i % 2 ? ['odd', "n$i"] : [] }, @ann);
    push @ids, $r->{json}{note}{id};
}
api($shim, 'PATCH', "/api/notes/$ids[0]", { content => 'changed' }, @ann);
api($shim, 'DELETE', "/api/notes/$ids[4]", undef, @ann);
$r = api($shim, 'GET', '/api/export?revisions=true', undef, @ann);
is($r->{status}, 200, 'export of ann');
my $export = $r->{content};
my $doc = $JSON->decode($export);
is(scalar @{ $doc->{notes} }, 4, 'four notes');
is(scalar @{ $doc->{trash} }, 1, 'one in the trash');

# --- round trip into a fresh account, twice ------------------------------------
my ($carl) = register_and_login($shim, 'carl', 'carlpassword');
my @carl = bearer($carl);
$r = api($shim, 'POST', '/api/import', $export, @carl);
is($r->{status}, 200, 'import into carl: 200');
is_deeply($r->{json}, { imported => 5, skipped => 0, renamed => 5, refused => [] },
    "ann's ids are hers: all five renamed");
$r = api($shim, 'GET', '/api/export', undef, @carl);
is_deeply(contents($JSON->decode($r->{content})), contents($doc),
    "carl's notes, tags, pins and trash equal ann's");
$r = api($shim, 'POST', '/api/import', $export, @carl);
is_deeply($r->{json}, { imported => 0, skipped => 5, renamed => 0, refused => [] },
    'the same document again: all skipped');
is(psql($pg_port, 'finote', "SELECT count(*) FROM finote.notes n JOIN finote.users u ON u.id = n.user_id"
    . " WHERE u.username = 'carl'"), 4, 'carl still has four notes');
$r = api($shim, 'POST', '/api/import', $export, @ann);
is_deeply($r->{json}{skipped}, 5, "ann's own export into ann: all skipped");

# --- malformed: 400 naming the part, nothing imported ---------------------------
my $bad = $JSON->decode($export);
$bad->{trash}[0]{created_at} = 'yesterday';
my ($dora) = register_and_login($shim, 'dora', 'dorapassword');
my @dora = bearer($dora);
$r = api($shim, 'POST', '/api/import', $JSON->encode($bad), @dora);
is($r->{status}, 400, 'a malformed part: 400');
like($r->{json}{error}{message}, qr/^trash\[0\]\.created_at: /, 'the message names the part');
is(scalar @{ api($shim, 'GET', '/api/notes', undef, @dora)->{json}{notes} }, 0, 'nothing imported');

# --- the size cap: over 1 MiB passes, over FINOTE_IMPORT_MAX_BYTES is 413 --------
my $big = { format => 'finote-export', format_version => 1, trash => [], notes => [
    map { { id => sprintf('00000000-0000-4000-8000-%012d', $_), title => "big $_", content => 'x' x 90000,
            pinned => JSON::PP::false, tags => [], created_at => '2020-01-02T03:04:05Z',
            updated_at => '2999-01-01T00:00:00Z', version => 1 } } 1 .. 30 ] };
my $body = $JSON->encode($big);
ok(length($body) > 2 * 1024 * 1024 && length($body) < $cap, 'a document of ' . length($body) . ' bytes');
$r = api($shim, 'POST', '/api/import', $body, @dora);
is($r->{status}, 200, 'over the general 1 MiB limit, under the cap: 200');
is($r->{json}{imported}, 30, 'thirty notes imported');
is(psql($pg_port, 'finote', "SELECT count(*) FROM finote.notes WHERE title LIKE 'big %'"
    . " AND updated_at <= now() AND created_at = '2020-01-02T03:04:05Z'"), 30,
    'future updated_at clamped to now, created_at kept');
$r = api($shim, 'POST', '/api/import', $body . (' ' x ($cap + 1 - length($body))), @dora);
is($r->{status}, 413, 'over FINOTE_IMPORT_MAX_BYTES: 413');
is($r->{json}{error}{code}, 'payload_too_large', '413: payload_too_large');
$r = api($shim, 'POST', '/api/notes', { title => 't', content => 'z' x (1024 * 1024) }, @dora);
is($r->{status}, 413, 'the other routes keep the 1 MiB limit');

# --- bodies over 1 MiB held at once: at most FINOTE_IMPORT_MAX (1 here) ------------
# One client sends half of a 2 MiB import and waits; another's import over
# 1 MiB meanwhile is 503 without its body being read.
my $held = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$shim_port", Timeout => 5) or die "connect: $!";
print $held "POST /api/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer $dora->{json}{token}\r\n"
  . "Content-Type: application/json\r\nContent-Length: " . (2 * 1024 * 1024) . "\r\n\r\n" . ('{' . ' ' x (1024 * 1024));
sleep 0.5;
$r = api($shim, 'POST', '/api/import', $body, @dora);
is($r->{status}, 503, 'an import over 1 MiB while another one is read: 503');
ok(header($r, 'retry-after') >= 1, 'with Retry-After');
close $held;
sleep 0.5;
is(api($shim, 'POST', '/api/import', $body, @dora)->{status}, 200, 'once it is gone: 200 (all skipped)');

# --- one import per account at a time: 429 ---------------------------------------
# The first import waits on a note another transaction is inserting with
# one of its ids, holding the account's import lock meanwhile.
my ($erin) = register_and_login($shim, 'erin', 'erinpassword');
my @erin = bearer($erin);
my $one = { format => 'finote-export', format_version => 1, trash => [], notes => [
    { id => '00000000-0000-4000-8000-0000000001a1', title => 'held', content => '', pinned => JSON::PP::false,
      tags => [], created_at => '2020-01-02T03:04:05Z', updated_at => '2020-01-02T03:04:05Z', version => 1 } ] };
my $blocker = fork // die "fork: $!";
if (!$blocker) {
    psql($pg_port, 'finote', "BEGIN; INSERT INTO finote.notes (user_id, id) SELECT id,"
        . " '00000000-0000-4000-8000-0000000001a1' FROM finote.users WHERE username = 'erin';"
        . " SELECT pg_sleep(3); ROLLBACK;");
    POSIX::_exit(0);
}
sleep 0.5;
my $first = fork // die "fork: $!";
if (!$first) {
    my $r = api($shim, 'POST', '/api/import', $JSON->encode($one), @erin);
    POSIX::_exit($r->{status} == 200 && $r->{json}{imported} == 1 ? 0 : 1);
}
my $waiting = 0;
for (1 .. 40) {
    $waiting = psql($pg_port, 'finote', "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%finote.import%'"
        . " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()");
    last if $waiting;
    sleep 0.1;
}
is($waiting, 1, 'the first import waits');
$r = api($shim, 'POST', '/api/import', $JSON->encode($one), @erin);
is($r->{status}, 429, 'a second import of the account meanwhile: 429');
is($r->{json}{error}{code}, 'import_in_progress', '429: import_in_progress');
ok(header($r, 'retry-after') >= 1, 'with Retry-After');
waitpid($blocker, 0);
waitpid($first, 0);
is($? >> 8, 0, 'the first import then finished: 200, one imported');

# --- a keyed import sent again is replayed ----------------------------------------
my ($fred) = register_and_login($shim, 'fred', 'fredpassword');
my @fred = bearer($fred);
$r = api($shim, 'POST', '/api/import', $export, @fred, 'Idempotency-Key' => 'imp-1');
is($r->{status}, 200, 'keyed import: 200');
ok(!defined header($r, 'idempotent-replayed'), 'the first is not a replay');
my $keyed = $r->{content};
$r = api($shim, 'POST', '/api/import', $export, @fred, 'Idempotency-Key' => 'imp-1');
is($r->{status}, 200, 'the same keyed import again: 200');
is(header($r, 'idempotent-replayed'), 'true', 'Idempotent-Replayed: true');
is($r->{content}, $keyed, 'the first answer again (imported 5, not skipped 5)');

$r = api($shim, 'POST', '/api/import', $body, @fred, 'Idempotency-Key' => 'imp-1');
is($r->{status}, 422, 'the same key with another body: 422');

# --- in parts: the body spooled, sent to the database 1 MiB at a time ---------
# A shim with the default cap (64 MiB) takes a 28 MiB document. Its peak memory grows by
# far less than the body (held whole it would grow by twice the body: the
# body, and libpq's copy of it), and the euro signs (3 bytes each) across
# the first part's end, which falls inside one, come back byte for byte.
my $UTF8 = JSON::PP->new->utf8->canonical;
my $big_shim = start_shim(PORT => free_port(), DATABASE_URL => $dburl, SESSION_SECRET => 'k' x 32);
my ($gus) = register_and_login($big_shim, 'gus', 'guspassword');
my @gus = bearer($gus);
my $many = { format => 'finote-export', format_version => 1, trash => [], notes => [
    map { { id => sprintf('00000000-0000-4000-8000-1%011d', $_), title => "many $_",
            content => "\x{20ac}" x 30000, pinned => JSON::PP::false, tags => [],
            created_at => '2020-01-02T03:04:05Z', updated_at => '2020-01-02T03:04:05Z',
            version => 1 } } 1 .. 330 ] };
my $many_body = $UTF8->encode($many);
my $part = 1024 * 1024;
my $run = rindex($many_body, '"content":"', $part) + length('"content":"');
my $pad = ($part - $run - 1) % 3;
$many_body = (' ' x $pad) . $many_body;
ok($part - ($run + $pad) < 90000 && ($part - ($run + $pad)) % 3 == 1,
    'the first part ends one byte into a euro sign');
my $hwm = sub { slurp("/proc/$big_shim->{pid}/status") =~ /^VmHWM:\s+(\d+) kB/m ? $1 : die 'no VmHWM' };
my $before_kb = $hwm->();
$r = api($big_shim, 'POST', '/api/import', $many_body, @gus);
is($r->{status}, 200, 'a 28 MiB document: 200');
is($r->{json}{imported}, 330, 'all 330 notes imported');
my $grew_mb = ($hwm->() - $before_kb) / 1024;
ok($grew_mb < 12, sprintf('the shim grew by %.1f MB for a %.1f MB body', $grew_mb, length($many_body) / 2**20));
is(psql($pg_port, 'finote', "SELECT count(*) FROM finote.notes WHERE title LIKE 'many %'"
    . " AND content = repeat(U&'\\20AC', 30000)"), 330, 'every note byte for byte');
# a byte that is not UTF-8 in the last part: 400, nothing imported
(my $broken = $many_body) =~ s/"title":"many 330"/"title":"many 330\xff"/ or die 'no title 330';
my ($hal) = register_and_login($big_shim, 'hal', 'halpassword');
$r = api($big_shim, 'POST', '/api/import', $broken, bearer($hal));
is($r->{status}, 400, 'not UTF-8 near the end: 400');
is($r->{json}{error}{message}, 'the body must be UTF-8', 'the body must be UTF-8');
is(scalar @{ api($big_shim, 'GET', '/api/notes', undef, bearer($hal))->{json}{notes} }, 0,
    'nothing imported');

# --- the bench's heaviest account, 37,000 notes: export, then import ---------
# Into a fresh account through the shim (its default 64 MiB cap), every
# note equal; the time and memory it took are printed.
my $notes = 37_000;
my ($ivy) = register_and_login($big_shim, 'ivy', 'ivypassword');
psql($pg_port, 'finote', <<"SQL");
INSERT INTO finote.notes (user_id, title, content, tags, pinned, updated_at)
SELECT u.id, 'note ' || g, repeat(md5(g::text) || ' ', 1 + g % 60),
       CASE WHEN g % 10 = 0 THEN '{work}'::text[] ELSE '{}' END, g % 97 = 0,
       now() - g * interval '1 minute'
  FROM finote.users u, generate_series(1, $notes) g WHERE u.username = 'ivy'
SQL
my $t0 = time;
$r = api($big_shim, 'GET', '/api/export', undef, bearer($ivy));
my $export_s = time - $t0;
is($r->{status}, 200, "export of $notes notes: 200");
my $heavy = $r->{content};
my ($jay) = register_and_login($big_shim, 'jay', 'jaypassword');
$before_kb = $hwm->();
$t0 = time;
$r = api($big_shim, 'POST', '/api/import', $heavy, bearer($jay));
my $import_s = time - $t0;
is($r->{status}, 200, sprintf('import of %.1f MB: 200', length($heavy) / 1e6));
is_deeply([@{ $r->{json} }{qw(imported skipped renamed)}], [$notes, 0, $notes],
    "all $notes imported, renamed (the ids are ivy's)");
my $backend_kb = psql($pg_port, 'finote', "SELECT pid FROM pg_stat_activity WHERE application_name = 'finote-shim'");
$backend_kb = (sort { $b <=> $a } map { slurp("/proc/$_/status") =~ /^VmHWM:\s+(\d+) kB/m ? $1 : 0 }
    split /\n/, $backend_kb)[0];
$grew_mb = ($hwm->() - $before_kb) / 1024;
my $same = "SELECT md5(string_agg(n.title || n.content || n.tags::text || n.pinned || n.created_at"
    . " || n.updated_at, '|' ORDER BY n.title)) FROM finote.notes n JOIN finote.users u ON u.id = n.user_id"
    . " WHERE u.username = ";
is(psql($pg_port, 'finote', "$same 'jay'"), psql($pg_port, 'finote', "$same 'ivy'"),
    "jay's $notes notes equal ivy's: titles, contents, tags, pins, times");
ok($grew_mb < 16, sprintf("the shim's peak memory grew by %.1f MB for the import (< 16)", $grew_mb));
diag(sprintf('37,000 notes: export %.1f MB in %.1f s; import in %.1f s; shim VmHWM +%.1f MB,'
    . ' largest backend VmHWM %.0f MB', length($heavy) / 1e6, $export_s, $import_s, $grew_mb, $backend_kb / 1024));
stop_shim($big_shim);

stop_shim($shim);
logs_clean($shim, map { $_->{json}{token} } $ann, $carl, $dora, $erin, $fred);
logs_clean($big_shim, map { $_->{json}{token} } $gus, $hal, $ivy, $jay);
done_testing();
