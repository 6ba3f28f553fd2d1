using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using PositionLedger.Imports;
using PositionLedger.Statements;

namespace PositionLedger.Tests.HostileInput;

public enum Caller { Editor, Reader, Anonymous }

/// <summary>
/// One generated request. The path and body may hold placeholders that are filled in just before sending,
/// from the ledger as it is then: <c>@live@</c> (a statement that can still be corrected), <c>@retracted@</c>,
/// and in a body <c>"@v@"</c>, <c>"@stale@"</c>, <c>"@next@"</c> (that statement's version, one less, one more).
/// </summary>
/// <param name="Route">The route as the app's route table has it, e.g. <c>POST /api/statements/{id}/corrections</c>.</param>
/// <param name="Fields">What the errors map of a 400/413/415/422 must name (one of them); empty: any field.</param>
/// <param name="What">What was made hostile, for the report: e.g. <c>quote := "a\u0000b"</c>.</param>
public sealed record HostileRequest(
    string Route, string Method, string Path, string Query, string? ContentType, byte[]? Body,
    IReadOnlyList<KeyValuePair<string, string>> Headers, Caller Caller, IReadOnlyList<string> Fields, string What)
{
    public string Url => Path + Query;

    public override string ToString()
    {
        var text = new StringBuilder($"{Method} {Url}");
        if (Caller != Caller.Editor) text.Append(CultureInfo.InvariantCulture, $" as {Caller}");
        foreach (var (name, value) in Headers) text.Append(CultureInfo.InvariantCulture, $" [{name}: {Hostile.Show(value, 80)}]");
        if (Body is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $" [Content-Type: {ContentType ?? "(none)"}] body ({Body.Length} bytes): ");
            text.Append(Hostile.Show(Hostile.Lossy(Body), 400));
        }
        return text.ToString();
    }
}

/// <summary>Generators of hostile values, JSON bodies and query strings, one per route of the app.</summary>
public static class Hostile
{
    // ---------------------------------------------------------------- small helpers

    public static Gen<T> Any<T>(params Gen<T>[] gens) => Gen.OneOf<T>([.. gens.Select(g => (IGen<T>)g)]);

    public static Gen<T> Weighted<T>(params IEnumerable<(int Weight, Gen<T> Gen)> gens) =>
        Gen.Frequency<T>([.. gens.Where(g => g.Weight > 0).Select(g => (g.Weight, (IGen<T>)g.Gen))]);

    public static Gen<T> Const<T>(params T[] values) => Gen.OneOf<T>(values);

    /// <summary>A string for a report: control, format and bidi characters as \uXXXX, long ones cut.</summary>
    public static string Show(string text, int max)
    {
        var shown = new StringBuilder();
        foreach (var c in text.Length > max ? text[..max] : text)
        {
            var category = char.GetUnicodeCategory(c);
            if (char.IsControl(c) || category is UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned)
                shown.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            else shown.Append(c);
        }
        if (text.Length > max) shown.Append(CultureInfo.InvariantCulture, $"...(+{text.Length - max} chars)");
        return shown.ToString();
    }

    /// <summary>Bytes as text, invalid UTF-8 shown as U+FFFD.</summary>
    public static string Lossy(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    // ---------------------------------------------------------------- hostile text

    public static readonly string[] Controls =
        [.. Enumerable.Range(0, 32).Select(i => ((char)i).ToString()), "\u007f", "\u0080", "\u0085", "\u009f"];

    public static readonly string[] Bidi = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"];

    private static readonly string[] Invisible =
        ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2028", "\u2029", "\ufeff", "\u00ad", "\u061c", "\ufffe", "\uffff"];

    private static readonly string[] Plausible = ["Vladimir Putin", "We agree", "Wire", "russia", "a", "ceasefire", "2025-03-13"];

    /// <summary>A character a value should not hold: NUL most often, other control characters, bidi controls, invisibles.</summary>
    private static readonly Gen<string> Sneaky = Weighted(
        (5, Gen.Const("\u0000")), (4, Const(Controls)), (3, Const(Bidi)), (1, Const(Invisible)));

    /// <summary>A value (valid, say) with such a character slipped in: first, in the middle, last or just before last.</summary>
    public static Gen<string> Slip(Gen<string> value) =>
        from text in value
        from c in Sneaky
        from at in Gen.OneOf(0, text.Length / 2, Math.Max(0, text.Length - 1), text.Length)
        select text[..at] + c + text[at..];

    private static readonly Gen<string> Blank = Const("", " ", "   ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2003");

    /// <summary>Long strings; over a mebibyte only now and then (the body limit), as it costs a second a request.</summary>
    public static readonly Gen<string> Long = Weighted(
        (8, from n in Const(65, 201, 501, 2001, 4001, 20_000) from c in Const('a', 'é', '-', '0', '\u202e') select new string(c, n)),
        (2, from n in Const(70_000, 300_000) select string.Concat(Enumerable.Repeat("quote ", n / 6))),
        (1, Gen.Const(() => new string('q', 1_100_000))));

    private static readonly Gen<string> Odd = Const(
        "null", "undefined", "NaN", "-1", "0", "1e309", "true", "[]", "{}", "'; drop table mt_events; --", "\\", "\"", "'",
        "<script>alert(1)</script>", "%00", "%", "%s%n", "${jndi:ldap://x}", "{{7*7}}", "../../etc/passwd", "\ud83d\ude00",
        "e\u0301\u0301\u0301", "Z\u0337\u0322a\u0336l\u0335g\u0334o", "\ud835\udd18\ud835\udd2b", "\u0130stanbul", "stra\u00dfe", "\u01c5",
        "\u0000", "a\u0000", "\u001b[31mred", "\r\n\r\n", "\u202eevil\u202c", "\u2066x\u2069", "\\u0000", "\u00ff\u00fe", "\uff11");

    public static readonly Gen<string> Text = Weighted(
        (8, Slip(Const(Plausible))), (2, Blank), (2, Long), (3, Odd));

    // ---------------------------------------------------------------- domain-shaped values

    public static readonly string[] Parties = ["russia", "ukraine", "usa"];
    public static readonly string[] Issues = ["ceasefire", "energy"];

    public static readonly Gen<string> Slug = Weighted(
        (3, Const(Parties)), (2, Const(Issues)),
        (4, Const("atlantis", "Russia", "RUSSIA", "russia ", " russia", "rus--sia", "-russia", "russia-", "rus_sia", "rus.sia",
            "r", "0", "123", "a-b-c", "russi\u0430", "ru\u00dfia", "russia\u0000", "russia\u202e", "\u2066russia\u2069", "russia%00",
            "r%2Fu", "..", ".", "russia/usa", "%2e%2e")),
        (1, from n in Const(64, 65, 1000) select new string('a', n)),
        (2, Text));

    private static readonly string[] ValidStances = [.. StanceWords.ByWord.Keys];

    public static readonly Gen<string> StanceWord = Weighted(
        (2, Const(ValidStances)),
        (3, from s in Const(ValidStances) from f in Const<Func<string, string>>(
                w => w.ToUpperInvariant(), w => " " + w, w => w + "\u0000", w => "\u202e" + w, w => w[..^1], w => w + "s",
                w => w.Replace('o', '\u043e'))
            select f(s)),
        (1, Const("maybe", "0", "1", "-1", "Stance.Supports", "supports,opposes", "unknown", "null")),
        (1, Text));

    /// <summary>Dates and instants at the edges of the calendar, of .NET and of PostgreSQL, and not quite dates.</summary>
    public static readonly Gen<string> Date = Weighted(
        (3, Const("0001-01-01", "9999-12-31", "1799-12-31", "1800-01-01", "1969-12-31", "1970-01-01", "2000-02-29", "2025-03-13",
            "4713-01-01", "0000-01-01", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999Z", "9999-12-31T23:59:59.9999999+00:00")),
        (3, Const("0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00-14:00", "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59+14:00",
            "2025-03-13T18:00:00+23:59", "2025-03-13T18:00:00-23:59", "2025-03-13T18:00:00+99:99", "2025-03-13T18:00:00+05:45",
            "2025-03-13T18:00:00+14:01", "2025-03-13T18:00:00-00:00", "2025-03-13T18:00:00.1234567Z", "2025-03-13T18:00:00.12345678Z",
            "2025-03-13T24:00:00Z", "2025-03-13T23:59:60Z", "2025-03-13T18:00Z", "2025-03-13T18:00:00", "2025-03-13T18:00:00z",
            "2025-03-13 18:00:00Z", "2025-03-13T18:00:00+0545")),
        (3, Const("2025-13-01", "2025-00-10", "2025-02-30", "2025-02-29", "2025-04-31", "2025-03-00", "2025-03-32", "2025-99-99",
            "0000-00-00", "9999-99-99", "2025-3-13", "25-03-13", "+2025-03-13", "-2025-03-13", "12025-03-13", "2025\u20103\u201013",
            "2025-03-13\u0000", "\u202e2025-03-13", "\uff12\uff10\uff12\uff15-03-13", "13 March 2025", "now", "today", "infinity",
            "-infinity", "epoch", "2025-03-13T18:00:00Z/P1D", "P1D", "1741888800", "2025-W11-4", "2025-072")),
        (1, Text));

    private static readonly Gen<string> Url = Weighted(
        (2, Const("https://example.org/a", "http://example.org", "https://example.org/\u00e9", "https://xn--e1afmkfd.xn--p1ai/")),
        (4, Const("https://example.org/a\u0000b", "https://exa\u0000mple.org/", "https://example.org/\u202eevil", "http://", "https://",
            "http://[::1", "http://[::1]:99999/", "https://example.org:-1/", "javascript:alert(1)", "file:///etc/passwd", "ftp://x/",
            "data:text/html,<b>", "//example.org/a", "/relative", "example.org", "https://ex ample.org/", "https://example.org/a b",
            "https://user:pass@example.org/", "https://example.org/%00", "https://example.org/%ZZ", "https://\u0000/",
            "http://\u202eexample.org", "https://example.org/" + new string('a', 2001), "mailto:a@b", "urn:isbn:0")),
        (1, Text));

    private static readonly Gen<string> Word = Const("ceasefire", "agree", "putin", "kursk", "the", "a", "energy", "quote");

    /// <summary>Search terms: web-search syntax at its edges (operators, quotes, runs of '-') and control characters.</summary>
    public static readonly Gen<string> SearchTerms = Weighted(
        (2, from words in Word.Array[1, 4] select string.Join(' ', words)),
        (4, from n in Const(1, 2, 39, 40, 41, 100, 499, 500, 501) from c in Const('-', '"', '!', '&', '|', ':', '*', '(', '\'', '\\')
            select new string(c, n)),
        (3, Const("-", "--", "\"", "\"\"", "\"unterminated", "or", "OR", "-or", "or or or", "a OR", "OR a", "!", "&", "|", "<->", ":*",
            "a:*", "a & b", "a | b", "!a", "(a", "a)", "a <-> b", "'", "''", "\\", "*", "-\"a\"", "\"-\"", "a -", "- a", "-a -b -c")),
        (2, from words in Word.Array[1, 3] from dashes in Gen.Int[38, 60] select string.Join(' ', words) + " " + new string('-', dashes)),
        (3, Text));

    public static readonly Gen<string> Limit = Weighted(
        (1, Const("1", "20", "100", "500")),
        (4, Const("0", "-1", "501", "1000", "2147483647", "2147483648", "9223372036854775807", "99999999999999999999999999", "1.5",
            "1e3", "0x10", "+5", " 5", "5 ", "05", "\uff15", "\u0665", "", "five", "5;", "NaN", "-0", "1,000")),
        (1, Text));

    /// <summary>An event sequence number to read after.</summary>
    public static readonly Gen<string> Sequence = Weighted(
        (1, Const("0", "1", "3")),
        (4, Const("-1", "9223372036854775807", "9223372036854775808", "99999999999999999999999", "1.0", "1e2", "+1", " 1", "0x1", "",
            "\uff11", "\u0661", "one")),
        (1, Text));

    private static string Cursor(long knownAt, long statedAt, long seq) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(FormattableString.Invariant($"{knownAt}|{statedAt}|{seq}")))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static readonly long[] Ticks =
        [0, 1, -1, DateTimeOffset.MaxValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks + 1, long.MaxValue, long.MinValue,
         new DateTimeOffset(1799, 12, 31, 0, 0, 0, TimeSpan.Zero).UtcTicks,
         new DateTimeOffset(2025, 3, 13, 0, 0, 0, TimeSpan.Zero).UtcTicks];

    /// <summary>Timeline cursors: crafted ones at the edges of time, and garbage.</summary>
    public static readonly Gen<string> TimelineCursor = Weighted(
        (4, from k in Const(Ticks) from s in Const(Ticks) from q in Const(0L, -1L, 1L, long.MaxValue, long.MinValue)
            select Cursor(k, s, q)),
        (3, Const("", "=", "====", "AAAA", "!!!!", "not-a-cursor", "MXwyfDM", "MXwyfDM=", "MXwyfDM==", "fHx8", "MXwy", "LTF8LTF8LTE",
            Convert.ToBase64String(Encoding.UTF8.GetBytes("1|2|3|4")), Convert.ToBase64String(Encoding.UTF8.GetBytes("a|b|c")),
            Convert.ToBase64String([0xff, 0xfe, 0x00, 0x7c, 0x00]), Convert.ToBase64String(Encoding.UTF8.GetBytes("1 |2|3")),
            Convert.ToBase64String(Encoding.UTF8.GetBytes("\u0661|2|3")), new string('A', 10_000))),
        (1, Text));

    // ---------------------------------------------------------------- JSON values

    /// <summary>A raw JSON token that a JsonNode cannot hold, spliced in where the marker string stands.</summary>
    private const string RawMarker = "\u2603raw\u2603";

    /// <summary>Bytes that are not UTF-8, spliced into a string where the marker stands.</summary>
    private const string BadBytesMarker = "\u2603bad\u2603";

    private static readonly string[] RawTokens =
    [
        "1e400", "-1e400", "-0", "01", "1.", ".5", "NaN", "Infinity", "-Infinity", "0x10", "+1", "'single'", "undefined", "nul", "tru",
        "\"\\ud800\"", "\"\\udfff\\ud800\"", "\"a\\ud83d\"", "\"\\u0000\"", "\"\\x41\"", "\"\\u00\"", "\"tab\there\"", "\"line\nbreak\"",
        "\"nul\u0000raw\"", "99999999999999999999999999999999", "1E+2", "1e-400", "-9223372036854775809", "9223372036854775808",
        "18446744073709551616", "[1,]", "{,}", "{\"a\":1,}", "\"unterminated", "[", "{", "]", "}", ":", ",", "\"\"\"\"", "/*c*/1",
        "{\"a\":1,\"a\":2}", new string('[', 70) + new string(']', 70),
    ];

    private static readonly byte[][] BadBytes =
        [[0xff], [0xfe, 0xff], [0xc0, 0x80], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0x00],
         [0xf8, 0x88, 0x80, 0x80, 0x80], [0xef, 0xbf, 0xbe]];

    private static JsonNode Deep(int depth, bool arrays)
    {
        JsonNode node = arrays ? new JsonArray() : new JsonObject();
        for (var i = 1; i < depth; i++) node = arrays ? new JsonArray(node) : new JsonObject { ["a"] = node };
        return node;
    }

    /// <summary>A value of any JSON type, at worst where the other is expected; null means JSON null.</summary>
    public static readonly Gen<JsonNode?> WrongType = Gen.Recursive<JsonNode?>((depth, inner) => Weighted([
        (3, Gen.Const<JsonNode?>(() => null)),
        (2, from b in Gen.Bool select (JsonNode?)JsonValue.Create(b)),
        (3, from n in Const(0L, 1L, -1L, 2L, long.MaxValue, long.MinValue, int.MaxValue + 1L) select (JsonNode?)JsonValue.Create(n)),
        (2, from d in Const(1.5, -0.5, 1e308, -1e308, 5e-324, 0.1) select (JsonNode?)JsonValue.Create(d)),
        (3, from s in Text select (JsonNode?)JsonValue.Create(s)),
        (2, from s in Date select (JsonNode?)JsonValue.Create(s)),
        (3, from t in Const(RawTokens) select (JsonNode?)JsonValue.Create(RawMarker + t)),
        (1, from depth2 in Const(65, 100, 900) from arrays in Gen.Bool select (JsonNode?)Deep(depth2, arrays)),
        .. depth >= 3 ? [] : (IEnumerable<(int, Gen<JsonNode?>)>)[
            (2, from items in inner.Array[0, 3] select (JsonNode?)new JsonArray(items)),
            (2, from keys in Const("a", "party", "", "\u0000", "url", "__proto__", "$type").Array[0, 3]
                from values in inner.Array[3]
                select (JsonNode?)Object(keys, values)),
        ],
    ]));

    private static JsonObject Object(string[] keys, JsonNode?[] values)
    {
        var o = new JsonObject();
        for (var i = 0; i < keys.Length; i++) o[keys[i]] = values[i];
        return o;
    }

    // ---------------------------------------------------------------- mutations of a valid body

    /// <summary>
    /// A valid body; per field path, the values that field could meaningfully hold; and per string field its valid
    /// values, for the commonest hostile case: one valid value with one character slipped in.
    /// </summary>
    public sealed record Shape(Gen<JsonObject> Valid, IReadOnlyDictionary<string, Gen<JsonNode?>> Fields)
    {
        public IReadOnlyDictionary<string, Gen<string>> Texts { get; init; } = new Dictionary<string, Gen<string>>();
    }

    public sealed record Mutation(string Path, string What, Action<JsonObject> Apply, string[] Names);

    private static Gen<JsonNode?> Strings(Gen<string> gen) => gen.Select(s => (JsonNode?)JsonValue.Create(s));

    /// <summary>The value a field gets: its own kind of hostile value, or any value of any type.</summary>
    private static Gen<JsonNode?> HostileFor(Gen<JsonNode?> own) => Weighted((3, own), (2, WrongType));

    private static Gen<Mutation> Mutate(Shape shape) => Weighted([
        (shape.Texts.Count == 0 ? 0 : 6,
            from path in Const<string>(shape.Texts.Count == 0 ? ["quote"] : [.. shape.Texts.Keys])
            from value in Slip(shape.Texts.GetValueOrDefault(path) ?? Gen.Const("x"))
            select new Mutation(path, $"{path} := {Describe(value)}", o => Set(o, path, value), Related(path))),
        (10, from path in Const([.. shape.Fields.Keys])
             from value in HostileFor(shape.Fields[path])
             select new Mutation(path, $"{path} := {Describe(value)}", o => Set(o, path, value?.DeepClone()), NamesFor(path, value))),
        (2, from path in Const([.. shape.Fields.Keys])
            select new Mutation(path, $"{path} removed", o => Remove(o, path), Related(path))),
        (2, from parent in Const(["", .. shape.Fields.Keys.Where(k => !k.Contains('[') && !k.Contains('.'))])
            from name in Const("mood", "Party", "PARTY", "id", "$type", "__proto__", "", " ", "\u0000", "party\u0000", "\u202eytrap", "a.b")
            from value in WrongType
            let path = parent.Length == 0 ? name : $"{parent}.{name}"
            // A property without a name can only be reported against the body.
            select new Mutation(path, $"unknown property {Show(path, 40)} := {Describe(value)}",
                o => AddUnknown(o, parent, name, value?.DeepClone()), [name, path, parent.Length == 0 ? name : parent, .. KeysIn(value),
                    .. name.Length == 0 ? ["body"] : Array.Empty<string>()])),
        (2, from path in Const([.. shape.Fields.Keys.Where(k => !k.Contains('.') && !k.Contains('['))])
            from value in HostileFor(shape.Fields[path])
            select new Mutation(path, $"duplicate key {path} := {Describe(value)}", o => Duplicate(o, path, value), NamesFor(path, value))),
        (2, from path in Const([.. shape.Fields.Keys])
            from bad in Const(BadBytes)
            select new Mutation(path, $"{path} holds invalid UTF-8 {Convert.ToHexString(bad)}",
                o => Set(o, path, JsonValue.Create("x" + BadBytesMarker + Convert.ToHexString(bad) + BadBytesMarker + "y")),
                [.. Related(path), "body"])),
    ]);

    /// <summary>
    /// A field, and for a nested one its parent: setting <c>source.url</c> where the body has no source makes a
    /// source of that url alone, which may be refused for the outlet it lacks.
    /// </summary>
    private static string[] Related(string path) => path.LastIndexOf('.') is var dot and > 0 ? [path, path[..dot]] : [path];

    /// <summary>What an error about a field given this value may name: the field, its parent, a property inside the value.</summary>
    private static string[] NamesFor(string path, JsonNode? value)
    {
        var keys = KeysIn(value).ToList();
        // A property without a name, or a token that is not JSON, can only be reported against the body.
        return [.. Related(path), .. keys, .. NotJson(value) || keys.Contains("") ? ["body"] : Array.Empty<string>()];
    }

    /// <summary>Whether a value holds a raw token that is not JSON at all: a syntax error may only be reported against the body.</summary>
    private static bool NotJson(JsonNode? value) => value switch
    {
        JsonObject o => o.Any(p => NotJson(p.Value)),
        JsonArray a => a.Any(NotJson),
        JsonValue v when v.TryGetValue<string>(out var s) && s.StartsWith(RawMarker, StringComparison.Ordinal) =>
            !IsJsonText(s[RawMarker.Length..]),
        _ => false,
    };

    private static bool IsJsonText(string text)
    {
        try { using var _ = System.Text.Json.JsonDocument.Parse(text); return true; }
        catch (System.Text.Json.JsonException) { return false; }
    }

    /// <summary>Property names inside a value: an unknown one is named on its own (<c>rating</c> for <c>source.rating</c>).</summary>
    private static IEnumerable<string> KeysIn(JsonNode? value) => value switch
    {
        JsonObject o => o.SelectMany(p => KeysIn(p.Value).Prepend(p.Key)),
        JsonArray a => a.SelectMany(KeysIn),
        JsonValue v when v.TryGetValue<string>(out var s) && s.StartsWith(RawMarker, StringComparison.Ordinal) =>
            RawKeys(s[RawMarker.Length..]),
        _ => [],
    };

    /// <summary>Property names in a raw token (which may give one twice, so not through a JsonObject).</summary>
    private static List<string> RawKeys(string token)
    {
        static IEnumerable<string> Of(System.Text.Json.JsonElement e) => e.ValueKind switch
        {
            System.Text.Json.JsonValueKind.Object => e.EnumerateObject().SelectMany(p => Of(p.Value).Prepend(p.Name)),
            System.Text.Json.JsonValueKind.Array => e.EnumerateArray().SelectMany(Of),
            _ => [],
        };
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(token);
            return [.. Of(json.RootElement)];
        }
        catch (System.Text.Json.JsonException)
        {
            return [];
        }
    }

    /// <summary>Duplicate keys cannot live in a JsonObject: the second value goes in under a marker key, renamed when written.</summary>
    private static void Duplicate(JsonObject o, string path, JsonNode? value) => o[DuplicateMarker + path] = value?.DeepClone();

    private const string DuplicateMarker = "\u2603dup\u2603";

    public static string Describe(JsonNode? value)
    {
        if (value is null) return "null";
        var json = value.ToJsonString();
        if (json.Contains(RawMarker, StringComparison.Ordinal)) json = json.Replace($"\"{RawMarker}", "").Replace("\"", "") + " (raw)";
        return Show(json, 60);
    }

    private static (JsonNode Parent, string Key, int? Index) Walk(JsonObject root, string path, bool create)
    {
        var parts = path.Split('.');
        JsonNode current = root;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            var (name, index) = Part(parts[i]);
            var o = current.AsObject();
            if (o[name] is not JsonObject child)
            {
                if (!create) return (current, name, index);
                o[name] = child = [];
            }
            current = child;
        }
        var (last, lastIndex) = Part(parts[^1]);
        return (current, last, lastIndex);
    }

    private static (string Name, int? Index) Part(string part)
    {
        var bracket = part.IndexOf('[', StringComparison.Ordinal);
        return bracket < 0 ? (part, null) : (part[..bracket], int.Parse(part[(bracket + 1)..^1], CultureInfo.InvariantCulture));
    }

    public static void Set(JsonObject root, string path, JsonNode? value)
    {
        var (parent, key, index) = Walk(root, path, create: true);
        var o = parent.AsObject();
        if (index is null) { o[key] = value; return; }
        if (o[key] is not JsonArray array) o[key] = array = [];
        while (array.Count <= index) array.Add(JsonValue.Create("filler"));
        array[index.Value] = value;
    }

    private static void Remove(JsonObject root, string path)
    {
        var (parent, key, index) = Walk(root, path, create: false);
        if (parent is not JsonObject o) return;
        if (index is null) o.Remove(key);
        else if (o[key] is JsonArray array && array.Count > index) array.RemoveAt(index.Value);
    }

    private static void AddUnknown(JsonObject root, string parent, string name, JsonNode? value)
    {
        if (parent.Length == 0) { root[name] = value; return; }
        if (root[parent] is JsonObject o) o[name] = value;
        else root[parent] = new JsonObject { [name] = value };
    }

    /// <summary>JSON text of a (mutated) body: markers become raw tokens, duplicate keys and invalid bytes.</summary>
    public static byte[] Write(JsonNode? root)
    {
        var json = root is null ? "null" : root.ToJsonString();
        json = System.Text.RegularExpressions.Regex.Replace(json, "\"\\\\u2603raw\\\\u2603((?:[^\"\\\\]|\\\\.)*)\"",
            m => System.Text.RegularExpressions.Regex.Unescape(m.Groups[1].Value));
        json = json.Replace("\\u2603dup\\u2603", "");
        var bytes = new List<byte>(Encoding.UTF8.GetBytes(json));
        var marker = Encoding.UTF8.GetBytes("\\u2603bad\\u2603");
        for (var at = IndexOf(bytes, marker, 0); at >= 0; at = IndexOf(bytes, marker, at))
        {
            var end = IndexOf(bytes, marker, at + marker.Length);
            var hex = Encoding.ASCII.GetString([.. bytes.GetRange(at + marker.Length, end - at - marker.Length)]);
            bytes.RemoveRange(at, end + marker.Length - at);
            bytes.InsertRange(at, Convert.FromHexString(hex));
            at += hex.Length / 2;
        }
        return [.. bytes];
    }

    private static int IndexOf(List<byte> bytes, byte[] pattern, int from)
    {
        for (var i = from; i <= bytes.Count - pattern.Length; i++)
        {
            var match = true;
            for (var j = 0; j < pattern.Length && match; j++) match = bytes[i + j] == pattern[j];
            if (match) return i;
        }
        return -1;
    }

    /// <summary>A body as it arrives: the JSON bytes, and what its errors map must name.</summary>
    public sealed record Body(byte[] Bytes, string[] Fields, string What);

    /// <summary>Ways to break a whole body rather than a field of it.</summary>
    private static readonly Gen<Body> BrokenWhole = Weighted(
        (3, Const("null", "", " ", "\n", "[]", "[null]", "{}", "0", "1", "-1", "true", "false", "\"\"", "\"text\"", "[{}]", "{}{}", "{} {}",
                "nul", "{", "}", "[", "{\"", "{\"party\"", "{\"party\":", "{\"party\":}", "{,}", "{\"a\"::1}", "/*c*/{}", "// c\n{}",
                "{'party':'russia'}", "{party:\"russia\"}", "\ufeff{}", "\u0000", "\u0000{}", "{}\u0000", "{\"\\ud800\":1}", "NaN")
            // An object, or text naming a property, may be refused for a field it lacks or names.
            .Select(s => new Body(Encoding.UTF8.GetBytes(s), IsObject(s) || s.Contains('"') ? [] : ["body"], $"body is {Show(s, 40)}"))),
        (1, from bad in Const(BadBytes) select new Body(bad, ["body"], $"body is bytes {Convert.ToHexString(bad)}")),
        (1, from depth in Const(65, 1000, 20_000) from arrays in Gen.Bool
            select new Body(Encoding.UTF8.GetBytes(arrays ? new string('[', depth) + new string(']', depth)
                : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth)), ["body", "a"],
                $"body nested {depth} deep ({(arrays ? "arrays" : "objects")})")));

    /// <summary>A JSON object (after a BOM): its errors may name any field it lacks.</summary>
    private static bool IsObject(string text)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(text.TrimStart('\ufeff'));
            return json.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object;
        }
        catch (System.Text.Json.JsonException) { return false; }
    }

    /// <summary>A body for the shape: mostly the valid one with one to three hostile changes, sometimes broken whole.</summary>
    public static Gen<Body> BodyOf(Shape shape) => Weighted(
        (1, shape.Valid.Select(v => new Body(Write(v), [], "valid body"))),
        (12, from valid in shape.Valid
             from mutations in Weighted((2, Mutate(shape).Array[1]), (1, Mutate(shape).Array[2, 3]))
             select Mutated(valid, mutations)),
        (2, from valid in shape.Valid
            from text in Write(valid).Length > 2 ? TextDamage(Write(valid)) : Gen.Const(new Body([], ["body"], "empty"))
            select text),
        (2, BrokenWhole));

    private static Body Mutated(JsonObject valid, Mutation[] mutations)
    {
        foreach (var m in mutations) m.Apply(valid);
        return new Body(Write(valid), [.. mutations.SelectMany(m => m.Names).Distinct()], string.Join("; ", mutations.Select(m => m.What)));
    }

    private static Gen<Body> TextDamage(byte[] json) => Weighted(
        // Damage at a random byte may land in a value or a name: the error may then name that field, or the body.
        (2, from at in Gen.Int[1, json.Length - 1] select new Body(json[..at], [], $"body cut after {at} bytes")),
        (1, from tail in Const("}", ",", "{}", " {\"a\":1}", "\u0000", "x", "\n\n", "]") select new Body(
            [.. json, .. Encoding.UTF8.GetBytes(tail)], ["body"], $"body followed by {Show(tail, 20)}")),
        (1, from at in Gen.Int[1, json.Length - 1] from bad in Const(BadBytes) select new Body(
            [.. json[..at], .. bad, .. json[at..]], [], $"invalid UTF-8 {Convert.ToHexString(bad)} at byte {at}")),
        (1, Gen.Const(new Body([0xef, 0xbb, 0xbf, .. json], [], "body after a UTF-8 BOM"))),
        (1, Gen.Const(new Body(Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(json)), ["body"], "body in UTF-16"))));

    // ---------------------------------------------------------------- the app's bodies

    private static readonly Gen<string> ValidInstant = Const("2025-03-13", "2025-03-13T10:00:00Z", "2024-12-31T23:59:59.9999999+05:45",
        "2025-01-01T00:00:00-12:00");

    /// <summary>A string field's values: valid, valid but for one character, or hostile.</summary>
    private static Gen<JsonNode?> Node(Gen<string> valid, Gen<string> hostile) =>
        Weighted((1, Strings(valid)), (2, Strings(Slip(valid))), (3, Strings(hostile)));

    private static readonly Gen<JsonNode?> Names = from items in Weighted(
            (3, Text.Array[0, 3]), (1, Gen.Const(() => Enumerable.Repeat("x", 21).ToArray())), (1, Gen.Const(() => new string[200])))
        select (JsonNode?)new JsonArray([.. items.Select(i => (JsonNode?)(i is null ? null : JsonValue.Create(i)))]);

    public static readonly Shape Party = new(
        from n in Gen.Int[0, 999_999] from aliases in Gen.Bool
        select aliases
            ? new JsonObject { ["id"] = $"fz-{n}", ["name"] = $"Party {n}", ["aliases"] = new JsonArray("P", "Pty") }
            : new JsonObject { ["id"] = $"fz-{n}", ["name"] = $"Party {n}" },
        new Dictionary<string, Gen<JsonNode?>>
        {
            ["id"] = Node(Const("fz-1", "belarus"), Slug), ["name"] = Node(Const("Belarus"), Text), ["aliases"] = Names,
            ["aliases[0]"] = Node(Const("Minsk"), Text),
        })
    {
        Texts = new Dictionary<string, Gen<string>>
        {
            ["id"] = Const("fz-1"), ["name"] = Const("Belarus"), ["aliases[0]"] = Const("Minsk"),
        },
    };

    public static readonly Shape Issue = new(
        from n in Gen.Int[0, 999_999]
        select new JsonObject { ["id"] = $"fz-{n}", ["title"] = $"Issue {n}", ["description"] = "About it." },
        new Dictionary<string, Gen<JsonNode?>>
        {
            ["id"] = Node(Const("fz-2", "kursk"), Slug), ["title"] = Node(Const("Kursk"), Text),
            ["description"] = Node(Const("The Kursk region."), Text),
        })
    {
        Texts = new Dictionary<string, Gen<string>>
        {
            ["id"] = Const("fz-2"), ["title"] = Const("Kursk"), ["description"] = Const("Kursk."),
        },
    };

    /// <summary>Evidence that cannot stand: sources that are not there, kinds that are not kinds, anchors of every wrong shape.</summary>
    private static readonly Gen<JsonNode?> EvidenceValues =
        from kind in Weighted((3, Const("direct-quote", "paraphrase", "inference")), (1, Text))
        from source in Weighted((2, Gen.Const("fz-no-such-source")), (1, Slug))
        from exact in Weighted((2, Gen.Const("We will consider it.")), (1, Text))
        from shape in Gen.Int[0, 5]
        select (JsonNode?)(shape switch
        {
            0 => new JsonObject { ["kind"] = kind, ["anchors"] = new JsonArray() },
            1 => new JsonObject { ["kind"] = kind },
            2 => new JsonObject { ["kind"] = kind, ["anchors"] = new JsonArray((JsonNode?)null) },
            3 => new JsonObject
            {
                ["kind"] = kind,
                ["anchors"] = new JsonArray(new JsonObject { ["source"] = source, ["exact"] = exact, ["start"] = -1, ["end"] = 3 }),
            },
            _ => new JsonObject { ["kind"] = kind, ["anchors"] = new JsonArray(new JsonObject { ["source"] = source, ["exact"] = exact }) },
        });

    private static readonly Dictionary<string, Gen<JsonNode?>> StatementFields = new()
    {
        ["party"] = Node(Const(Parties), Slug),
        ["issue"] = Node(Const(Issues), Slug),
        ["stance"] = Strings(StanceWord),
        ["speaker"] = Node(Const("Vladimir Putin", "Dmitry Peskov"), Text),
        ["quote"] = Node(Const("We agree.", "Line one\nline two\ttabbed"), Text),
        ["statedAt"] = Node(ValidInstant, Date),
        ["source"] = Weighted((1, Gen.Const<JsonNode?>(() => new JsonObject())), (1, WrongType)),
        ["source.outlet"] = Node(Const("TASS", "Reuters"), Text),
        ["source.url"] = Node(Const("https://example.org/story", "http://example.org/a?b=c"), Url),
        ["source.publishedAt"] = Node(ValidInstant, Date),
        ["conditions"] = Names,
        ["conditions[0]"] = Node(Const("verification"), Text),
        ["claimedBy"] = Weighted((1, Gen.Const<JsonNode?>(() => null)), (1, Gen.Const<JsonNode?>(() => new JsonObject())), (2, WrongType)),
        ["claimedBy.party"] = Node(Const(Parties), Slug),
        ["claimedBy.speaker"] = Node(Const("A spokesman"), Text),
        ["evidence"] = Weighted((1, Gen.Const<JsonNode?>(() => null)), (2, EvidenceValues), (1, WrongType)),
    };

    /// <summary>An evidence filter: kinds, lists of kinds, and what is not a kind.</summary>
    public static readonly Gen<string> EvidenceFilter = Weighted(
        (3, Const("direct-quote", "paraphrase,inference", "unanchored", "reported-act,direct-quote")),
        (2, Const("quote", "Direct-Quote", "direct-quote,", ",", "", "direct-quote,,paraphrase")), (2, Text));

    /// <summary>A review status: the three words, and what is not one.</summary>
    /// <summary>view on the reads that preview pending proposals: the hostile clients hold editor keys, so pending is answered.</summary>
    public static readonly Gen<string> PendingView = Weighted(
        (3, Const("published", "pending")), (2, Const("Pending", "draft", "pending,published", "")), (1, Text));

    public static readonly Gen<string> ReviewStatus = Weighted(
        (3, Const("pending", "approved", "rejected")), (2, Const("Pending", "all", "pending,approved", "")), (1, Text));

    public static readonly Shape Approving = new(
        from n in Gen.Int[0, 999_999] select new JsonObject { ["note"] = $"Checked {n}" },
        new Dictionary<string, Gen<JsonNode?>> { ["note"] = Node(Const("Checked"), Text) });

    public static readonly Shape Rejecting = new(
        from n in Gen.Int[0, 999_999] select new JsonObject { ["reason"] = $"Unsourced {n}" },
        new Dictionary<string, Gen<JsonNode?>> { ["reason"] = Node(Const("Unsourced"), Text) })
    {
        Texts = new Dictionary<string, Gen<string>> { ["reason"] = Const("Unsourced") },
    };

    /// <summary>A timeline order: the two words, and what is not one.</summary>
    public static readonly Gen<string> TimelineOrder = Weighted(
        (3, Const("oldest-first", "newest-first")), (2, Const("desc", "Newest-First", "newest-first,oldest-first", "")), (1, Text));

    public static readonly Shape ArchivedSource = new(
        from n in Gen.Int[0, 999_999]
        select new JsonObject
        {
            ["id"] = $"fz-{n}", ["title"] = $"Report {n}", ["outlet"] = "Wire", ["language"] = "en",
            ["text"] = "Putin said: we agree.\nPeskov said nothing.",
            ["url"] = "https://example.org/report", ["publishedAt"] = "2025-03-13",
            ["translation"] = new JsonObject { ["from"] = "pt", ["method"] = "machine" },
        },
        new Dictionary<string, Gen<JsonNode?>>
        {
            ["id"] = Node(Const("fz-3", "wire"), Slug), ["title"] = Node(Const("A report"), Text), ["outlet"] = Node(Const("Wire"), Text),
            ["language"] = Node(Const("en", "pt-BR"), Text), ["text"] = Node(Const("We agree.\nLine two."), Text),
            ["url"] = Node(Const("https://example.org/report"), Url), ["publishedAt"] = Node(ValidInstant, Date),
            ["translation"] = Weighted(
                (1, Gen.Const<JsonNode?>(() => null)), (1, Gen.Const<JsonNode?>(() => new JsonObject())), (2, WrongType)),
            ["translation.from"] = Node(Const("pt"), Text), ["translation.method"] = Node(Const("machine", "human"), Text),
        })
    {
        Texts = new Dictionary<string, Gen<string>>
        {
            ["id"] = Const("fz-3"), ["title"] = Const("A report"), ["outlet"] = Const("Wire"), ["language"] = Const("en"),
            ["text"] = Const("We agree."), ["url"] = Const("https://example.org/report"), ["publishedAt"] = ValidInstant,
            ["translation.from"] = Const("pt"), ["translation.method"] = Const("machine"),
        },
    };

    private static readonly Dictionary<string, Gen<string>> StatementTexts = new()
    {
        ["party"] = Const(Parties), ["issue"] = Const(Issues), ["stance"] = Const(ValidStances), ["speaker"] = Const("Dmitry Peskov"),
        ["quote"] = Const("We will consider it."), ["statedAt"] = ValidInstant, ["source.outlet"] = Const("TASS"),
        ["source.url"] = Const("https://example.org/story"), ["source.publishedAt"] = ValidInstant,
        ["conditions[0]"] = Const("verification"),
        ["claimedBy.party"] = Const("ukraine"), ["claimedBy.speaker"] = Const("A spokesman"),
    };

    private static readonly Gen<JsonObject> ValidStatement =
        from party in Const(Parties)
        from issue in Const(Issues)
        from stance in Const(ValidStances)
        from statedAt in ValidInstant
        from claim in Gen.Int[0, 3]
        from conditions in Gen.Bool
        select Statement(party, issue, stance, statedAt, claim == 0 ? Parties.First(p => p != party) : null, conditions);

    private static JsonObject Statement(string party, string issue, string stance, string statedAt, string? claimedBy, bool conditions)
    {
        var o = new JsonObject
        {
            ["party"] = party, ["issue"] = issue, ["stance"] = stance, ["speaker"] = "Dmitry Peskov", ["quote"] = "We will consider it.",
            ["statedAt"] = statedAt,
            ["source"] = new JsonObject { ["outlet"] = "TASS", ["url"] = "https://example.org/story", ["publishedAt"] = statedAt },
        };
        if (conditions) o["conditions"] = new JsonArray("verification", "monitoring");
        if (claimedBy is not null) o["claimedBy"] = new JsonObject { ["party"] = claimedBy, ["speaker"] = "A spokesman" };
        return o;
    }

    public static readonly Shape NewStatement = new(ValidStatement, StatementFields) { Texts = StatementTexts };

    /// <summary>
    /// expectedVersion: the statement's current version mostly (so the other fields are validated), or
    /// anything else that a number field can be sent as.
    /// </summary>
    private static readonly Gen<JsonNode?> ExpectedVersion = Weighted(
        (2, Const("@stale@", "@next@").Select(s => (JsonNode?)JsonValue.Create(s))),
        (4, from v in Const(0L, -1L, long.MaxValue, long.MinValue) select (JsonNode?)JsonValue.Create(v)),
        (3, from d in Const(1.5, 1.0, 1e2, -0.0, 1e19) select (JsonNode?)JsonValue.Create(d)),
        (3, Const("1", "2", "", "one", "1e2", "0x1", "\u0000").Select(s => (JsonNode?)JsonValue.Create(s))),
        (3, WrongType));

    private static readonly Gen<JsonObject> ValidCorrection =
        from n in Gen.Int[0, 999_999]
        from changes in Gen.Int[0, 15]
        select Correction(n, changes);

    private static JsonObject Correction(int n, int changes)
    {
        var o = new JsonObject { ["expectedVersion"] = "@v@", ["reason"] = $"Correction {n}", ["quote"] = $"As corrected, take {n}." };
        if ((changes & 1) != 0) o["stance"] = ValidStances[n % ValidStances.Length];
        if ((changes & 2) != 0) o["statedAt"] = $"2025-03-{1 + (n % 28):00}";
        if ((changes & 4) != 0) o["claimedBy"] = null;
        if ((changes & 8) != 0) o["source"] = new JsonObject { ["outlet"] = "Reuters", ["url"] = $"https://example.org/{n}" };
        return o;
    }

    public static readonly Shape Correcting = new(ValidCorrection, new Dictionary<string, Gen<JsonNode?>>(StatementFields)
    {
        ["expectedVersion"] = ExpectedVersion,
        ["reason"] = Node(Const("Typo"), Text),
    })
    {
        Texts = new Dictionary<string, Gen<string>>(StatementTexts) { ["reason"] = Const("Typo") },
    };

    public static readonly Shape Retracting = new(
        from n in Gen.Int[0, 999_999] select new JsonObject { ["expectedVersion"] = "@v@", ["reason"] = $"Retracted {n}" },
        new Dictionary<string, Gen<JsonNode?>> { ["expectedVersion"] = ExpectedVersion, ["reason"] = Node(Const("Duplicate"), Text) })
    {
        Texts = new Dictionary<string, Gen<string>> { ["reason"] = Const("Duplicate") },
    };

    /// <summary>
    /// An import: NDJSON lines or a JSON array of statements (each may carry an id), one line broken, or the
    /// batch broken whole.
    /// </summary>
    public static readonly Gen<(Body Body, bool Array)> Import = Weighted(
        (8, from lines in ValidStatement.Array[1, 3]
            from broken in Gen.Int[0, lines.Length - 1]
            from mutations in Mutate(new Shape(ValidStatement, new Dictionary<string, Gen<JsonNode?>>(StatementFields)
            {
                ["id"] = Weighted(
                    (1, Strings(Const("not-a-guid", "{00000000-0000-0000-0000-000000000000}", "", "00000000-0000-0000-0000"))),
                    (1, WrongType)),
            }) { Texts = StatementTexts }).Array[0, 2]
            from array in Gen.Bool
            from ids in Gen.Bool
            from guids in Gen.Guid.Array[3]
            select ImportOf(lines, broken, mutations, array, ids ? guids : null)),
        (2, from body in BrokenWhole from array in Gen.Bool
            select (body with { Fields = body.Fields.Length == 0 ? [] : [.. body.Fields, "line 1"] }, array)),
        (1, from lines in Const(
                "\n\n", "{}\n{}", "null\nnull", "[]\n", "{}\n\u0000\n", "\n{\"party\":1}\n\n", "{\"id\":\"a\"}\n{\"id\":\"a\"}")
            from array in Gen.Bool
            select (new Body(Encoding.UTF8.GetBytes(lines), ["body", "line 1", "line 2", "line 3"], $"batch is {Show(lines, 40)}"), array)),
        (1, Gen.Const(() => (new Body(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{}\n", StatementImport.MaxLines + 1))),
            ["body"], $"{StatementImport.MaxLines + 1} empty objects"), false))));

    private static (Body, bool) ImportOf(JsonObject[] lines, int broken, Mutation[] mutations, bool array, Guid[]? ids)
    {
        if (ids is not null) for (var i = 0; i < lines.Length; i++) lines[i]["id"] = ids[i].ToString();
        foreach (var m in mutations) m.Apply(lines[broken]);
        var number = broken + 1;
        var fields = mutations.Length == 0 ? [] : mutations
            .SelectMany(m => m.Names.Select(n => $"line {number}.{n}").Append($"line {number}")).Append("body").Distinct().ToArray();
        var what = mutations.Length == 0
            ? $"{lines.Length} valid lines"
            : $"line {number}: " + string.Join("; ", mutations.Select(m => m.What));
        var bytes = array
            ? [(byte)'[', .. lines.SelectMany((l, i) => i == 0 ? Write(l) : [(byte)',', .. Write(l)]), (byte)']']
            : lines.SelectMany(l => (byte[])[.. Write(l), (byte)'\n']).ToArray();
        return (new Body(bytes, fields, what + (array ? " (JSON array)" : " (NDJSON)")), array);
    }
}
