using System.Text.RegularExpressions;
using FluentValidation;

namespace PositionLedger.Infrastructure;

/// <summary>Field rules shared by every write: slugs, bounded text without control characters, urls.</summary>
public static partial class Rules
{
    public const int SlugMaxLength = 64;
    public const int NameMaxLength = 200;
    public const int TextMaxLength = 4000;

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex SlugPattern();

    public static IRuleBuilderOptions<T, string?> Slug<T>(this IRuleBuilder<T, string?> rule) => rule
        .NotEmpty()
        .MaximumLength(SlugMaxLength)
        .Must(s => s is null || SlugPattern().IsMatch(s))
        .WithMessage("'{PropertyName}' must be a slug: lower-case letters, digits and single hyphens.");

    /// <summary>Required, bounded text; newlines and tabs are allowed only where <paramref name="multiline"/>.</summary>
    public static IRuleBuilderOptions<T, string?> Text<T>(this IRuleBuilder<T, string?> rule, int maxLength, bool multiline = false) => rule
        .NotEmpty()
        .MaximumLength(maxLength)
        .Must(s => s is null || !HasControlCharacters(s, multiline))
        .WithMessage("'{PropertyName}' must not contain control characters.");

    public static IRuleBuilderOptions<T, string?> OptionalText<T>(this IRuleBuilder<T, string?> rule, int maxLength) => rule
        .MaximumLength(maxLength)
        .Must(s => s is null || !HasControlCharacters(s, multiline: false))
        .WithMessage("'{PropertyName}' must not contain control characters.");

    public static IRuleBuilderOptions<T, string?> Instant<T>(this IRuleBuilder<T, string?> rule, TimeProvider clock) => rule
        .Must(s => s is null || Instants.TryParse(s, out _, out _))
        .WithMessage($"'{{PropertyName}}' must be {Instants.FormatHint}.")
        .Must(s => s is null || !Instants.TryParse(s, out var t, out _) || t <= clock.GetUtcNow())
        .WithMessage("'{PropertyName}' must not be in the future.");

    public static IRuleBuilderOptions<T, string?> HttpUrl<T>(this IRuleBuilder<T, string?> rule) => rule
        .MaximumLength(2000)
        .Must(s => s is null || (Uri.TryCreate(s, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)))
        .WithMessage("'{PropertyName}' must be an absolute http or https URL.");

    private static bool HasControlCharacters(string s, bool multiline) =>
        s.Any(c => char.IsControl(c) && !(multiline && c is '\n' or '\r' or '\t'));
}

internal static class ValidationNaming
{
    /// <summary>Errors name fields as they appear in the JSON (camelCase paths such as source.outlet).</summary>
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void UseJsonNames()
    {
        ValidatorOptions.Global.PropertyNameResolver = (_, member, _) => member is null ? null : System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(member.Name);
        ValidatorOptions.Global.DisplayNameResolver = (_, member, _) => member is null ? null : System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(member.Name);
    }
}
