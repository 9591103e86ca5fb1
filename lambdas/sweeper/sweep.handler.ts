// Placeholder until the capability lands.
export const handler = async (): Promise<void> => {
  throw new Error('not implemented yet');
};
