using System.Text.Json;
using System.Text.Json.Serialization;

namespace PositionLedger.Infrastructure;

/// <summary>
/// How every JSON body is read (single writes and imports alike): exactly the documented shape. An
/// unknown or differently cased property, a number sent as a string and a property given twice are
/// errors naming the field, not guesses about what the client meant.
/// </summary>
public static class JsonInput
{
    public static JsonSerializerOptions ReadStrictly(this JsonSerializerOptions options)
    {
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.PropertyNameCaseInsensitive = false;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.AllowDuplicateProperties = false;
        return options;
    }

    /// <summary>For bodies read by hand (imports, nested values held as <see cref="JsonElement"/>).</summary>
    public static readonly JsonSerializerOptions Strict = new JsonSerializerOptions(JsonSerializerDefaults.Web).ReadStrictly();
}
