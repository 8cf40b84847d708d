/**
 * The Inspector and the Stored keys panel, with the query client only they use: loaded after
 * the first paint (App.tsx), so the editor's first script carries neither them nor TanStack
 * Query and Virtual.
 */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { Inspector } from './inspector/Inspector';
import { KeysPanel } from './keys-panel/KeysPanel';

const queryClient = new QueryClient({
  defaultOptions: { queries: { staleTime: 30_000, refetchOnWindowFocus: false, retry: 1 } },
});

export default function DetailPanels() {
  return (
    <QueryClientProvider client={queryClient}>
      <Inspector />
      <KeysPanel />
    </QueryClientProvider>
  );
}
