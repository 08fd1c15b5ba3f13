import { runBusContract } from './bus.contract.ts';
import { MemoryBus } from './memory-bus.ts';

runBusContract('memory (one process)', async () => {
  const bus = new MemoryBus();
  return { a: bus, b: bus, dispose: () => bus.close() };
});
