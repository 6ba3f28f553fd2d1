using System.Text.RegularExpressions;
using FluentValidation;

namespace PositionLedger.Infrastructure;

/// <summary>Field rules shared by every write: slugs, bounded clean text, urls, instants.</summary>
public static partial class Rules
{
    public const int SlugMaxLength = 64;
    public const int NameMaxLength = 200;
    public const int TextMaxLength = 4000;

    [GeneratedRegex(@"^[a-z0-9]+(-[a-z0-9]+)*\z")]
    private static partial Regex SlugPattern();

    /// <summary>A BCP 47 language tag as people write them: <c>en</c>, <c>pt-BR</c>, <c>zh-Hant-TW</c>.</summary>
    public static IRuleBuilderOptions<T, string?> LanguageTag<T>(this IRuleBuilder<T, string?> rule) => rule
        .MaximumLength(35)
        .Must(s => s is null || LanguageTagPattern().IsMatch(s))
        .WithMessage("'{PropertyName}' must be a BCP 47 language tag, such as en or pt-BR.");

    [GeneratedRegex(@"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*\z")]
    private static partial Regex LanguageTagPattern();

    public static IRuleBuilderOptions<T, string?> Slug<T>(this IRuleBuilder<T, string?> rule) => rule
        .NotEmpty()
        .MaximumLength(SlugMaxLength)
        .Must(s => s is null || SlugPattern().IsMatch(s))
        .WithMessage("'{PropertyName}' must be a slug: lower-case letters, digits and single hyphens.");

    /// <summary>Required, bounded clean text (<see cref="CleanText"/>); prose (<paramref name="prose"/>) may span lines.</summary>
    public static IRuleBuilderOptions<T, string?> Text<T>(this IRuleBuilder<T, string?> rule, int maxLength, bool prose = false) => rule
        .NotEmpty()
        .MaximumLength(maxLength)
        .Clean(prose);

    public static IRuleBuilderOptions<T, string?> OptionalText<T>(
        this IRuleBuilder<T, string?> rule, int maxLength, bool prose = false) => rule
        .MaximumLength(maxLength)
        .Clean(prose);

    public static IRuleBuilderOptions<T, string?> Clean<T>(this IRuleBuilder<T, string?> rule, bool prose) => rule
        .Must(s => s is null || CleanText.Flaw(s, prose) is null)
        .WithMessage((_, s) => $"'{{PropertyName}}' must not contain {CleanText.Flaw(s!, prose)}.");

    public static IRuleBuilderOptions<T, string?> Instant<T>(this IRuleBuilder<T, string?> rule, TimeProvider clock) => rule
        .Must(s => s is null || Instants.TryParse(s, out _, out _))
        .WithMessage($"'{{PropertyName}}' must be {Instants.FormatHint}.")
        .Must(s => s is null || !Instants.TryParse(s, out var t, out _) || t <= clock.GetUtcNow())
        .WithMessage("'{PropertyName}' must not be in the future.");

    public static IRuleBuilderOptions<T, string?> HttpUrl<T>(this IRuleBuilder<T, string?> rule) => rule
        .MaximumLength(2000)
        .Clean(prose: false)
        .Must(s => s is null
            || (Uri.TryCreate(s, UriKind.Absolute, out var uri)
                && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        .WithMessage("'{PropertyName}' must be an absolute http or https URL.");
}

/// <summary>
/// What no stored text may hold: control characters (line breaks and tabs only in prose), half of a
/// surrogate pair (not text at all: PostgreSQL cannot store it), and outside prose the bidirectional
/// embedding, override and isolate controls, which make a name or a link display reversed.
/// </summary>
public static class CleanText
{
    /// <summary>What is wrong with the text, in words, or null when nothing is.</summary>
    public static string? Flaw(string s, bool prose = false)
    {
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (char.IsControl(c) && !(prose && c is '\n' or '\r' or '\t')) return "control characters";
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return "unpaired surrogate code units";
            if (!prose && IsBidiControl(c)) return "bidirectional control characters (U+202A-U+202E, U+2066-U+2069)";
        }
        return null;
    }

    public static bool IsBidiControl(char c) => c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069';
}

internal static class ValidationNaming
{
    /// <summary>Errors name fields as they appear in the JSON (camelCase paths such as source.outlet).</summary>
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void UseJsonNames()
    {
        ValidatorOptions.Global.PropertyNameResolver = (_, member, _) =>
            member is null ? null : System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(member.Name);
        ValidatorOptions.Global.DisplayNameResolver = (_, member, _) =>
            member is null ? null : System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(member.Name);
    }
}
