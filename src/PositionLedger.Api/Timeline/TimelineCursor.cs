using System.Globalization;
using System.Text;

namespace PositionLedger.Timeline;

/// <summary>
/// A timeline page's "next": knownAt, the last position (statedAt, first sequence) and the direction (newest first
/// or not), URL-safe base64.
/// </summary>
public sealed record TimelineCursor(DateTimeOffset KnownAt, DateTimeOffset StatedAt, long StatementSeq, bool NewestFirst = false)
{
    public (DateTimeOffset, long) Position => (StatedAt, StatementSeq);

    public override string ToString() => Convert.ToBase64String(Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{KnownAt.UtcTicks}|{StatedAt.UtcTicks}|{StatementSeq}{(NewestFirst ? "|desc" : "")}")))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static TimelineCursor? Parse(string text)
    {
        try
        {
            var padded = text.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split('|');
            return parts.Length == 3 || (parts.Length == 4 && parts[3] == "desc")
                ? new TimelineCursor(
                    new DateTimeOffset(long.Parse(parts[0], CultureInfo.InvariantCulture), TimeSpan.Zero),
                    new DateTimeOffset(long.Parse(parts[1], CultureInfo.InvariantCulture), TimeSpan.Zero),
                    long.Parse(parts[2], CultureInfo.InvariantCulture),
                    NewestFirst: parts.Length == 4)
                : null;
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
