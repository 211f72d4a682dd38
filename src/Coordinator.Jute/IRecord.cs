// A jute record: a value that can write itself and be read back with the same field order as zookeeper.jute.
namespace Coordinator.Jute;

public interface IRecord
{
    void Write(JuteWriter writer);
}
