# META.json: the PGXN distribution's metadata follows the PGXN Meta Spec
# 1.0.0 (https://pgxn.org/spec/: required keys, the formats of name,
# version, license, provides, prereqs, release_status, tags, resources), and
# its versions are extension/finote.control's default_version, so the two
# cannot drift. The spec's rules are written out here: PGXN's own validator
# (PGXN::Meta::Validator) is not packaged in Debian.
use strict;
use warnings;
use lib 'test/lib';
use FinoteTest qw(slurp $ROOT);
use JSON::PP;
use Test::More;

my $meta = eval { JSON::PP->new->utf8->decode(slurp("$ROOT/META.json")) };
ok($meta && ref $meta eq 'HASH', 'META.json is a JSON object') or diag($@) and BAIL_OUT('no META.json');
my ($default) = slurp("$ROOT/extension/finote.control") =~ /^default_version = '([^']+)'/m;
ok($default, "finote.control's default_version: $default");

# Semantic Versioning: MAJOR.MINOR.PATCH, no leading zeros, optional pre-release
my $semver = qr/^(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
# an extension version of two parts (1.1) is the semantic version 1.1.0
sub as_semver { my $v = shift; my @p = split /\./, $v; push @p, 0 while @p < 3; join '.', @p }
my $want = as_semver($default);

# the spec's required keys, and no key it does not define (custom keys start with x_ or X_)
my %required = map { $_ => 1 } qw(name abstract maintainer license provides version meta-spec);
my %optional = map { $_ => 1 } qw(description generated_by tags no_index prereqs release_status resources);
for my $k (sort keys %required) { ok(exists $meta->{$k}, "required key $k") }
for my $k (sort keys %$meta) {
    ok($required{$k} || $optional{$k} || $k =~ /^[xX]_/, "key $k is one the spec defines");
}
is_deeply($meta->{'meta-spec'}{version}, '1.0.0', 'meta-spec 1.0.0');

like($meta->{name}, qr{^[^\s/\\[:cntrl:]]{2,}$}, 'name: 2+ characters, no white space, slash, backslash or control character');
is($meta->{name}, 'finote', 'name is the extension\'s');
like($meta->{abstract}, qr/\S/, 'abstract is not empty');
like($meta->{version}, $semver, "version $meta->{version} is a semantic version");
is($meta->{version}, $want, "version is finote.control's default_version ($default)");

my @maint = ref $meta->{maintainer} ? @{ $meta->{maintainer} } : ($meta->{maintainer});
ok(@maint && !grep({ !defined || ref || !/\S/ } @maint), 'maintainer: one or more non-empty strings');

my %licenses = map { $_ => 1 } qw(agpl_3 apache_1_1 apache_2_0 artistic_1 artistic_2 bsd freebsd
  gfdl_1_2 gfdl_1_3 gpl_1 gpl_2 gpl_3 lgpl_2_1 lgpl_3_0 mit mozilla_1_0 mozilla_1_1 openssl perl_5
  postgresql qpl_1_0 ssleay sun zlib open_source restricted unrestricted unknown);
my $lic = $meta->{license};
ok((!ref $lic && $licenses{$lic})
   || (ref $lic eq 'ARRAY' && @$lic && !grep { ref || !$licenses{$_} } @$lic)
   || (ref $lic eq 'HASH' && %$lic && !grep { !/^https?:\/\/\S+$/ } values %$lic),
   "license is one of the spec's names or a {name: URL} object");

my $provides = $meta->{provides};
ok(ref $provides eq 'HASH' && exists $provides->{finote}, 'provides the extension finote');
for my $ext (sort keys %{ $provides || {} }) {
    my $p = $provides->{$ext};
    ok(defined $p->{file} && -f "$ROOT/$p->{file}", "provides.$ext.file exists: " . ($p->{file} // 'none'));
    like($p->{version} // '', $semver, "provides.$ext.version is a semantic version");
    ok(!defined $p->{docfile} || -f "$ROOT/$p->{docfile}", "provides.$ext.docfile exists");
    for my $k (sort keys %$p) { ok($k =~ /^(file|version|abstract|docfile|[xX]_.*)$/, "provides.$ext.$k is defined by the spec") }
}
is($provides->{finote}{version}, $want, "provides.finote.version is finote.control's default_version ($default)");

my $prereqs = $meta->{prereqs} || {};
for my $phase (sort keys %$prereqs) {
    ok($phase =~ /^(configure|build|test|runtime|develop)$/, "prereqs phase $phase");
    for my $rel (sort keys %{ $prereqs->{$phase} }) {
        ok($rel =~ /^(requires|recommends|suggests|conflicts)$/, "prereqs.$phase.$rel");
        while (my ($name, $v) = each %{ $prereqs->{$phase}{$rel} }) {
            like($v, qr/^(?:0|$semver|(?:\s*(?:[<>]=?|==|!=)?\s*\d[\w.-]*\s*,?)+)$/,
                 "prereqs.$phase.$rel.$name: a version or a version range ($v)");
        }
    }
}
# the oldest PostgreSQL a check runs (make test-matrix: 15)
is($prereqs->{runtime}{requires}{PostgreSQL}, '15.0.0', 'runtime requires PostgreSQL 15, the oldest the matrix tests');

ok(!defined $meta->{release_status} || $meta->{release_status} =~ /^(stable|testing|unstable)$/,
   'release_status is stable, testing or unstable');
ok(!defined $meta->{tags} || (ref $meta->{tags} eq 'ARRAY'
   && !grep { ref || length == 0 || length > 255 || m{[/\\[:cntrl:]]} } @{ $meta->{tags} }),
   'tags: strings of 1-255 characters without slashes or control characters');
if (my $r = $meta->{resources}) {
    for my $k (sort keys %$r) { ok($k =~ /^(homepage|bugtracker|repository|[xX]_.*)$/, "resources.$k") }
}

done_testing();
