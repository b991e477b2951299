/**
 * Barrel of the dhcp layer (filled in by its files).
 */
export {};
