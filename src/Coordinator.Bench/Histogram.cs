// Latency samples of one run and their percentiles (microseconds; every sample kept: runs are short).
namespace Coordinator.Bench;

internal sealed class Histogram
{
    private readonly List<int> _micros = new(1 << 16);

    public int Count => _micros.Count;

    public void Add(long micros)
    {
        lock (_micros) _micros.Add((int)Math.Min(micros, int.MaxValue));
    }

    public void Merge(Histogram other)
    {
        lock (_micros) _micros.AddRange(other._micros);
    }

    public double PercentileMs(double p)
    {
        if (_micros.Count == 0) return 0;
        _micros.Sort();
        int i = (int)Math.Clamp(Math.Ceiling(p / 100 * _micros.Count) - 1, 0, _micros.Count - 1);
        return _micros[i] / 1000.0;
    }
}
