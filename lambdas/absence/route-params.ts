// Path parameters the study routes share.
import * as z from 'zod';
import { ID_PATTERN } from '../shared/ids.ts';

export const studyParams = z.object({ studyId: z.string().regex(ID_PATTERN, 'is not a study id') });
