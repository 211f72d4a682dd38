// A small line diff (longest common subsequence) for readable differential-test failures.
using System.Text;

namespace Coordinator.Compat.Tests;

internal static class TextDiff
{
    /// <summary>Unified-style diff of two texts: "-" lines only in <paramref name="expected"/>, "+" only in <paramref name="actual"/>.</summary>
    public static string Unified(string expected, string actual, string expectedName, string actualName, int context = 3, int maxLines = 400)
    {
        string[] a = expected.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        string[] b = actual.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        int n = a.Length, m = b.Length;
        var lcs = new int[n + 1, m + 1];
        for (int i = n - 1; i >= 0; i--)
        {
            for (int j = m - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var ops = new List<(char Kind, string Line)>();
        int x = 0, y = 0;
        while (x < n || y < m)
        {
            if (x < n && y < m && a[x] == b[y]) { ops.Add((' ', a[x])); x++; y++; }
            else if (x < n && (y == m || lcs[x + 1, y] >= lcs[x, y + 1])) { ops.Add(('-', a[x])); x++; }
            else { ops.Add(('+', b[y])); y++; }
        }

        var keep = new bool[ops.Count];
        for (int i = 0; i < ops.Count; i++)
        {
            if (ops[i].Kind == ' ') continue;
            for (int k = Math.Max(0, i - context); k <= Math.Min(ops.Count - 1, i + context); k++) keep[k] = true;
        }

        var sb = new StringBuilder().Append($"--- {expectedName}\n+++ {actualName}\n");
        int written = 0;
        bool gap = false;
        for (int i = 0; i < ops.Count && written < maxLines; i++)
        {
            if (!keep[i]) { gap = true; continue; }
            if (gap) { sb.Append("@@\n"); gap = false; }
            sb.Append(ops[i].Kind).Append(ops[i].Line).Append('\n');
            written++;
        }
        if (written >= maxLines) sb.Append($"[... diff cut at {maxLines} lines ...]\n");
        return sb.ToString();
    }
}
