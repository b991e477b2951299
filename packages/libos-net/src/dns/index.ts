/**
 * Barrel of the dns layer (filled in by its files).
 */
export {};
