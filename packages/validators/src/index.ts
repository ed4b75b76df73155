// Public entry point: every export of this package is listed here.
export {};
