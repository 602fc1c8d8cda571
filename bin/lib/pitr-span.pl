# pitr-span.pl: from `pgbackrest info --output=json` (stdin), the span of
# time a point-in-time restore can reach, for `finote-db pitr info`: from the
# end of the oldest backup (the first consistent point) to the last archived
# WAL segment. One line each; times in UTC.
use strict;
use warnings;
use JSON::PP;
use POSIX qw(strftime);

my $info = decode_json(do { local $/; <STDIN> });
my $stanza = $info->[0] or die "pgBackRest reports no stanza\n";
my @backups = sort { $a->{timestamp}{stop} <=> $b->{timestamp}{stop} } @{ $stanza->{backup} || [] };
my $utc = sub { strftime('%Y-%m-%d %H:%M:%S+00', gmtime($_[0])) };
if (!@backups) {
    print "no backup yet: nothing to restore to (finote-db pitr backup --type=full)\n";
    exit 0;
}
my ($oldest, $newest) = @backups[0, -1];
my $max = (map { $_->{max} // () } @{ $stanza->{archive} || [] })[-1];
printf "oldest point to restore to: %s (the end of backup %s, %s)\n",
    $utc->($oldest->{timestamp}{stop}), $oldest->{label}, $oldest->{type};
printf "newest backup: %s (%s, ended %s); WAL archived up to segment %s\n",
    $newest->{label}, $newest->{type}, $utc->($newest->{timestamp}{stop}), $max // 'none';
