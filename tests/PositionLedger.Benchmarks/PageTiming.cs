using Microsoft.Playwright;

namespace PositionLedger.Benchmarks;

/// <summary>
/// B8: the page as a person meets it, in headless Chromium (Debian's, as the web tests use): the first complete render
/// of matrix and timeline, a step of the date slider until the matrix shows the new date, and a replay through
/// 1,000 change points while every frame's gap is recorded. Times are read on the page's own clock.
/// </summary>
internal static class PageTiming
{
    public sealed record Figures(
        double[] FirstRenders, Percentiles SliderSteps, int ReplaySteps, TimeSpan ReplayTime, double LongestFrameGap, int FramesOver100Ms);

    /// <summary>When each request of the last first load started and ended: what the first render waited for.</summary>
    public static string Loading { get; private set; } = "";

    public static async Task<Figures> MeasureAsync(Uri app, int loads = 5, int sliderSteps = 50, int replaySteps = 1_000)
    {
        var executable = Environment.GetEnvironmentVariable("POSITIONLEDGER_CHROMIUM") ?? "/usr/bin/chromium";
        if (!File.Exists(executable)) throw new InvalidOperationException($"No Chromium at {executable} (deploy/bench.sh installs it).");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args = ["--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });

        // First render: each load in a fresh context (an empty cache, as a first visit), from navigation to the mark the page
        // sets once matrix and timeline are drawn.
        var firstRenders = new List<double>();
        for (var i = 0; i < loads; i++)
        {
            await using var fresh = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
            // Long tasks on the page's main thread, recorded from the start: what the render waited for besides the network.
            await fresh.AddInitScriptAsync("""
                window.__longTasks = [];
                new PerformanceObserver((list) => window.__longTasks.push(...list.getEntries()
                  .map((e) => `${Math.round(e.startTime)}+${Math.round(e.duration)}`))).observe({ type: 'longtask' });
                """);
            var page = await fresh.NewPageAsync();
            await page.GotoAsync(app.ToString());
            await page.WaitForFunctionAsync("() => performance.getEntriesByName('ledger-ready').length > 0", null, new() { Timeout = 60_000 });
            firstRenders.Add(await page.EvaluateAsync<double>("() => performance.getEntriesByName('ledger-ready')[0].startTime"));
            if (i == loads - 1) Loading = await page.EvaluateAsync<string>("""
                () => {
                  const n = performance.getEntriesByType('navigation')[0];
                  const paints = performance.getEntriesByType('paint').map((p) => `${p.name} ${Math.round(p.startTime)} ms`);
                  return [`navigation: response ${Math.round(n.responseEnd)}, interactive ${Math.round(n.domInteractive)}, `
                      + `DOMContentLoaded ${Math.round(n.domContentLoadedEventEnd)}, load ${Math.round(n.loadEventEnd)} ms; ${paints.join(', ')}`,
                    ...performance.getEntriesByType('resource')
                      .map((r) => `${Math.round(r.startTime)}-${Math.round(r.responseEnd)} ms ${r.name.replace(location.origin, '')}`),
                    `ready ${Math.round(performance.getEntriesByName('ledger-ready')[0].startTime)} ms; long tasks (start+ms): `
                      + window.__longTasks.join(', ')].join('\n');
                }
                """);
        }

        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        var reader = await context.NewPageAsync();
        await reader.GotoAsync(app.ToString());
        await reader.WaitForFunctionAsync("() => document.body.dataset.ready === 'true'", null, new() { Timeout = 60_000 });

        // Slider steps to random days: from the input event until the matrix carries the new date, each after the last
        // one's reads have settled (as a person moves the slider, looks, and moves it again).
        var random = new Random(8);
        var max = int.Parse(await reader.Locator("#asof-slider").GetAttributeAsync("max") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        var steps = new List<double>();
        for (var i = 0; i < sliderSteps; i++)
        {
            steps.Add(await reader.EvaluateAsync<double>("""
                (value) => new Promise((resolve) => {
                  const slider = document.querySelector('#asof-slider');
                  const first = document.querySelector('#asof-date').min;
                  const expected = new Date(Date.parse(first) + value * 86400000).toISOString().slice(0, 10);
                  const started = performance.now();
                  slider.value = String(value);
                  slider.dispatchEvent(new Event('input'));
                  const shown = () => document.querySelector('#matrix').dataset.asOf === expected
                    ? resolve(performance.now() - started) : requestAnimationFrame(shown);
                  shown();
                })
                """, random.Next(0, max + 1)));
            await reader.WaitForTimeoutAsync(400);
        }

        // Replay from a day in the middle of the history at the fastest speed, through replaySteps change points, with the
        // gap between consecutive animation frames recorded throughout.
        var first = DateOnly.Parse(await reader.Locator("#asof-date").GetAttributeAsync("min") ?? "", System.Globalization.CultureInfo.InvariantCulture);
        await reader.GotoAsync(new Uri(app, $"/?asOf={first.AddDays(max / 2):yyyy-MM-dd}").ToString());
        await reader.WaitForFunctionAsync("() => document.body.dataset.ready === 'true'", null, new() { Timeout = 60_000 });
        await reader.WaitForTimeoutAsync(1_000);
        await reader.Locator("#replay-speed").SelectOptionAsync("75");
        var replay = await reader.EvaluateAsync<System.Text.Json.JsonElement>("""
            (steps) => new Promise((resolve) => {
              const matrix = document.querySelector('#matrix');
              let changes = 0, last = performance.now(), longest = 0, over = 0, running = true;
              const started = performance.now();
              const frame = (now) => {
                const gap = now - last;
                last = now;
                longest = Math.max(longest, gap);
                if (gap > 100) over++;
                if (running) requestAnimationFrame(frame);
              };
              requestAnimationFrame((now) => { last = now; requestAnimationFrame(frame); });
              let shown = matrix.dataset.asOf;
              const play = document.querySelector('#replay-play');
              const done = () => {
                running = false;
                if (play.dataset.playing === 'true') play.click();
                resolve({ Steps: changes, Milliseconds: performance.now() - started, Longest: longest, Over: over });
              };
              new MutationObserver((_, observer) => {
                // Each step draws the matrix twice (its answer, then the changed cells outlined): count the dates.
                if (matrix.dataset.asOf === shown) return;
                shown = matrix.dataset.asOf;
                if (++changes < steps) return;
                observer.disconnect();
                done();
              }).observe(matrix, { attributes: true, attributeFilter: ['data-as-of'] });
              // The end of the history stops the replay first.
              new MutationObserver(() => { if (running && play.dataset.playing === 'false') done(); })
                .observe(play, { attributes: true, attributeFilter: ['data-playing'] });
              play.click();
            })
            """, replaySteps);

        firstRenders.Sort();
        return new Figures([.. firstRenders], Percentiles.Of(steps), replay.GetProperty("Steps").GetInt32(),
            TimeSpan.FromMilliseconds(replay.GetProperty("Milliseconds").GetDouble()), replay.GetProperty("Longest").GetDouble(),
            replay.GetProperty("Over").GetInt32());
    }
}
