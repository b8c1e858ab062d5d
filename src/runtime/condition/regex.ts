/**
 * The `regex` operator: RE2 syntax matched against the whole value (Falco anchors both ends),
 * through the project's RE2-to-V8 translation (src/core/goregex.ts), so that a pattern Go's
 * `regexp` rejects fails to load here too. Differences that remain: RE2 runs in linear time, V8
 * can backtrack (patterns come from rule authors, not from events), and Falco's POSIX mode
 * refuses Perl classes such as `\d`, which are accepted here.
 */
export { compileGoFullMatch as compileFullMatch, GoRegexError as RegexSyntaxError } from '../../core/goregex.ts';
