import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// The dashboard tests drive headless Chromium: launching it and rendering pages on a shared 2-core
// machine takes longer than the shared 20 s budget allows (as for the docs site's browser tests).
export default mergeConfig(shared, defineConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000 } }));
